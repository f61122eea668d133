package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.pullroute.http.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The event types pullroute knows, each with the JSON Schema (draft 2020-12) of its payload.
 *
 * <p>The catalog lives on the classpath under {@code catalog/}: {@code index.json} lists every type
 * with its category, and {@code <type>.json} holds its schema. The Alvaria types ({@code
 * engagementCenter.*}, {@code outreach.*}, {@code messaging.*}) are generated from spec 003 by
 * {@code tools/catalog/generate.py}; pullroute's own types ({@code pullMode.*}, {@code workbin.*},
 * {@code changeNotification.*}) are written by hand in {@code tools/catalog/own/}.
 *
 * <p>The catalog is immutable and thread-safe; its schemas are compiled once, when it is loaded.
 */
public final class EventCatalog {
  private static final String DIRECTORY = "catalog/";
  private static final String ROOT = "payload";
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

  /**
   * A way a payload breaks its type's schema.
   *
   * @param field the JSON path of the failing field: {@code payload} for the payload itself, then
   *     {@code .name} per property and {@code [i]} per array element, e.g. {@code
   *     payload.payload.interactionId} for the {@code interactionId} inside an Alvaria event's
   *     nested {@code payload} object; for a missing required property, the path it should have
   * @param message what is wrong, in the validator's words
   */
  public record Violation(String field, String message) {
    public Violation {
      requireNonNull(field, "field");
      requireNonNull(message, "message");
    }
  }

  private final SortedMap<String, Schema> schemas;
  private final Map<String, SortedSet<String>> typesByCategory;

  private EventCatalog(
      SortedMap<String, Schema> schemas, Map<String, SortedSet<String>> typesByCategory) {
    this.schemas = Collections.unmodifiableSortedMap(schemas);
    this.typesByCategory = Map.copyOf(typesByCategory);
  }

  /**
   * The catalog on the classpath. It is read and its schemas compiled on the first call; later
   * calls return the same instance.
   *
   * @throws IllegalStateException if the catalog on the classpath is missing or inconsistent
   */
  public static EventCatalog load() {
    return Loaded.CATALOG;
  }

  /** Every known event type, in alphabetical order. */
  public Set<String> types() {
    return schemas.keySet();
  }

  /** Whether {@code type} is a known event type. */
  public boolean knows(String type) {
    return schemas.containsKey(type);
  }

  /**
   * The known event types of a category (the part of a type before the dot, such as {@code
   * engagementCenter} or {@code pullMode}), in alphabetical order; empty for an unknown category.
   */
  public Set<String> typesOf(String category) {
    return typesByCategory.getOrDefault(category, Collections.emptySortedSet());
  }

  /**
   * Checks a payload against the schema of its event type.
   *
   * @return the violations, empty when the payload is valid
   * @throws IllegalArgumentException if {@code type} is not a known event type
   */
  public List<Violation> validate(String type, JsonNode payload) {
    requireNonNull(payload, "payload");
    Schema schema = schemas.get(type);
    if (schema == null) {
      throw new IllegalArgumentException("unknown event type: " + type);
    }
    return schema.validate(payload).stream().map(EventCatalog::violation).toList();
  }

  private static Violation violation(com.networknt.schema.Error error) {
    String field = readable(error.getInstanceLocation());
    if ("required".equals(error.getKeyword()) && error.getProperty() != null) {
      field = field + member(error.getProperty());
    }
    return new Violation(field, error.getMessage());
  }

  /** {@code payload}, {@code payload.a.b}, {@code payload.list[0].c}, {@code payload["a b"]}. */
  private static String readable(NodePath location) {
    StringBuilder path = new StringBuilder(ROOT);
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      if (element instanceof Integer index) {
        path.append('[').append(index).append(']');
      } else {
        path.append(member(String.valueOf(element)));
      }
    }
    return path.toString();
  }

  private static String member(String name) {
    if (PLAIN_NAME.matcher(name).matches()) {
      return "." + name;
    }
    return "[\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"]";
  }

  /** Holds the one catalog; the JVM initializes it once, on first use, thread-safely. */
  private static final class Loaded {
    static final EventCatalog CATALOG = read();
  }

  private static EventCatalog read() {
    ObjectMapper json = Json.newMapper();
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    SortedMap<String, Schema> schemas = new TreeMap<>();
    Map<String, SortedSet<String>> typesByCategory = new TreeMap<>();
    for (JsonNode entry : resource(json, "index.json").path("types")) {
      String type = entry.path("type").asText();
      String category = entry.path("category").asText();
      int dot = type.indexOf('.');
      if (dot <= 0 || !type.substring(0, dot).equals(category)) {
        throw new IllegalStateException(
            "catalog index: type '" + type + "' is not in category '" + category + "'");
      }
      Schema schema = registry.getSchema(resource(json, type + ".json"));
      schema.initializeValidators();
      if (schemas.put(type, schema) != null) {
        throw new IllegalStateException("catalog index lists '" + type + "' twice");
      }
      typesByCategory.computeIfAbsent(category, c -> new TreeSet<>()).add(type);
    }
    if (schemas.isEmpty()) {
      throw new IllegalStateException("catalog index lists no types");
    }
    typesByCategory.replaceAll((category, types) -> Collections.unmodifiableSortedSet(types));
    return new EventCatalog(schemas, typesByCategory);
  }

  private static JsonNode resource(ObjectMapper json, String name) {
    String path = DIRECTORY + name;
    try (InputStream in = EventCatalog.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("not on the classpath: " + path);
      }
      return json.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }
}
