package io.pullroute.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.PayloadTooLarge;
import io.pullroute.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object request body with typed accessors whose failures name the field at fault. Not
 * thread-safe; one per request.
 */
public final class JsonBody {
  private final ObjectNode node;

  private JsonBody(ObjectNode node) {
    this.node = node;
  }

  /** Reads the request body (at most 1 MiB) as a JSON object. */
  public static JsonBody of(Context ctx) {
    return parse(readLimited(ctx));
  }

  /** Parses a body already read (see {@link #readLimited}). */
  public static JsonBody parse(byte[] bytes) {
    if (bytes.length == 0) {
      throw new InvalidInput("body", "a JSON object body is required");
    }
    JsonNode parsed;
    try {
      parsed = Json.BODIES.readTree(bytes);
    } catch (StreamConstraintsException e) {
      throw new InvalidInput("body", tooLarge(e));
    } catch (JsonProcessingException e) {
      var location = e.getLocation();
      throw new InvalidInput(
          "body",
          "malformed JSON"
              + (location == null
                  ? ""
                  : " at line " + location.getLineNr() + ", column " + location.getColumnNr()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (parsed == null || !parsed.isObject()) {
      throw new InvalidInput("body", "the body must be a JSON object");
    }
    return new JsonBody((ObjectNode) parsed);
  }

  /**
   * What a body over one of the reader's limits is told: how deep it may nest, or which value is
   * too long (a number of over 1,000 digits, say), in Jackson's words without its API names.
   */
  private static String tooLarge(StreamConstraintsException e) {
    String said = e.getOriginalMessage();
    if (said.contains("nesting depth")) {
      return "the body nests deeper than " + Json.MAX_BODY_DEPTH + " levels";
    }
    int api = said.indexOf(" (from `");
    int comma = said.indexOf(", from `");
    if (api >= 0) {
      said = said.substring(0, api);
    } else if (comma >= 0) {
      said = said.substring(0, comma) + ")";
    }
    return "the body is over a limit: " + said;
  }

  /** The raw body, refusing more than {@link Config#MAX_BODY_BYTES} even without Content-Length. */
  public static byte[] readLimited(Context ctx) {
    if (ctx.contentLength() > Config.MAX_BODY_BYTES) {
      throw new PayloadTooLarge(Config.MAX_BODY_BYTES);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      return readLimited(in);
    } catch (IOException e) {
      throw new InvalidInput("body", "the request body could not be read");
    }
  }

  /**
   * As {@link #readLimited(Context)}, from a body's stream, which is left open: closing Jetty's own
   * request stream before the whole body arrived fails the request, and its 413 would not be
   * written. What is left unread is Jetty's to drain or to close the connection on.
   */
  static byte[] readLimited(InputStream in) {
    try {
      byte[] bytes = in.readNBytes((int) Config.MAX_BODY_BYTES + 1);
      if (bytes.length > Config.MAX_BODY_BYTES) {
        throw new PayloadTooLarge(Config.MAX_BODY_BYTES);
      }
      return bytes;
    } catch (IOException e) {
      throw new InvalidInput("body", "the request body could not be read");
    }
  }

  public ObjectNode node() {
    return node;
  }

  public boolean has(String field) {
    return node.has(field);
  }

  /** Refuses fields other than {@code allowed}, so that typos do not pass silently. */
  public JsonBody allowOnly(Set<String> allowed) {
    allowOnly(node, "", allowed);
    return this;
  }

  /**
   * Refuses a field of the object {@code node} not in {@code allowed}, named with {@code prefix}
   * (where the object is in the body, as {@code "filterCriteria."}).
   */
  public static void allowOnly(JsonNode node, String prefix, Set<String> allowed) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = prefix + names.next();
      if (!allowed.contains(name.substring(prefix.length()))) {
        throw new InvalidInput(name, "unknown field '" + name + "'");
      }
    }
  }

  public String requiredString(String field) {
    return optionalString(field).orElseThrow(() -> InvalidInput.required(field));
  }

  /** A string field; absent or null is empty, any other type is an error. */
  public Optional<String> optionalString(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new InvalidInput(field, field + " must be a string");
    }
    return Optional.of(value.textValue());
  }

  public Optional<Integer> optionalInt(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new InvalidInput(field, field + " must be an integer");
    }
    return Optional.of(value.intValue());
  }

  public Optional<Boolean> optionalBoolean(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isBoolean()) {
      throw new InvalidInput(field, field + " must be true or false");
    }
    return Optional.of(value.booleanValue());
  }

  /** An array of strings; absent or null is empty. */
  public Optional<List<String>> optionalStringList(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isArray()) {
      throw new InvalidInput(field, field + " must be an array of strings");
    }
    List<String> items = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isTextual()) {
        throw new InvalidInput(field + "[" + i + "]", field + "[" + i + "] must be a string");
      }
      items.add(item.textValue());
    }
    return Optional.of(List.copyOf(items));
  }

  /** An object field; absent or null is empty. */
  public Optional<ObjectNode> optionalObject(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isObject()) {
      throw new InvalidInput(field, field + " must be an object");
    }
    return Optional.of((ObjectNode) value);
  }
}
