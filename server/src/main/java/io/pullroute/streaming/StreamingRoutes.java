package io.pullroute.streaming;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.pullroute.auth.Principal;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.http.FastRoute;
import io.pullroute.http.Json;
import io.pullroute.http.JsonBody;
import io.pullroute.http.Requests;
import io.pullroute.http.RouteTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The streaming API of spec 003 under {@code /via/v2|v3/organizations/{orgId}/streaming}: paths,
 * bodies, kinds and errors as the spec prints them.
 */
public final class StreamingRoutes {
  static final String SESSION_HEADER = "via-client-sessionid";
  private static final int MAX_EVENTS = 200;

  private final StreamingService streaming;
  private final EncodedEvents encoded = new EncodedEvents();

  public StreamingRoutes(StreamingService streaming) {
    this.streaming = streaming;
  }

  public void register(RouteTable routes) {
    for (int version : new int[] {2, 3}) {
      String base = "/via/v" + version + "/organizations/{orgId}/streaming";
      String label = version == 2 ? " (v2, deprecated)" : " (v3)";
      routes
          .add(
              HandlerType.POST,
              base + "/session",
              "streaming",
              "Create a streaming session" + label,
              ctx -> createSession(ctx, version))
          .add(
              HandlerType.DELETE,
              base + "/session",
              "streaming",
              "Delete the streaming session of the via-client-sessionid header" + label,
              ctx -> {
                streaming.delete(principal(ctx), version, ctx.header(SESSION_HEADER));
                ctx.status(204);
              })
          .fast(
              HandlerType.GET,
              base + "/events",
              "streaming",
              "Long poll: events waiting now, or within the poll wait (maxEvents 1-200)" + label,
              call -> events(call, version))
          .add(
              HandlerType.POST,
              base + "/subscriptions",
              "streaming",
              "Create a subscription of the session" + label,
              this::createSubscription)
          .add(
              HandlerType.GET,
              base + "/subscriptions",
              "streaming",
              "The session's subscriptions" + label,
              this::listSubscriptions)
          .add(
              HandlerType.GET,
              base + "/subscriptions/{subscriptionId}",
              "streaming",
              "One subscription" + label,
              ctx ->
                  ctx.json(
                      view(
                          streaming.subscription(
                              principal(ctx),
                              ctx.header(SESSION_HEADER),
                              ctx.pathParam("subscriptionId")))))
          .add(
              HandlerType.PUT,
              base + "/subscriptions/{subscriptionId}",
              "streaming",
              "Replace a subscription, or create it with this id" + label,
              this::putSubscription)
          .add(
              HandlerType.DELETE,
              base + "/subscriptions/{subscriptionId}",
              "streaming",
              "Delete a subscription" + label,
              ctx -> {
                streaming.deleteSubscription(
                    principal(ctx), ctx.header(SESSION_HEADER), ctx.pathParam("subscriptionId"));
                ctx.status(204);
              });
    }
    routes.add(
        HandlerType.POST,
        "/via/v3/organizations/{orgId}/streaming/acknowledge",
        "streaming",
        "Acknowledge events of a session created with requireAcknowledgement",
        this::acknowledge);
  }

  private static Principal principal(Context ctx) {
    return Requests.principal(ctx);
  }

  // ---- sessions

  private void createSession(Context ctx, int version) {
    byte[] raw = JsonBody.readLimited(ctx);
    Integer delay = null;
    boolean acknowledge = false;
    if (version == 2) {
      delay = v2Delay(raw);
    } else if (raw.length > 0) {
      JsonBody body =
          JsonBody.parse(raw).allowOnly(Set.of("inactivityDelay", "requireAcknowledgement"));
      delay = body.optionalInt("inactivityDelay").orElse(null);
      acknowledge = body.optionalBoolean("requireAcknowledgement").orElse(false);
    }
    StreamingSession session = streaming.create(principal(ctx), version, delay, acknowledge);
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("sessionId", session.id());
    reply.put("creationTime", session.createdAt());
    reply.put("inactivityDelay", session.inactivityDelay());
    if (version == 3) {
      reply.put("requireAcknowledgement", session.requireAcknowledgement());
    }
    ctx.json(reply);
  }

  /**
   * The v2 body: a list of {@code {propertyName, propertyValue}}, sent as JSON or, as the spec's
   * sample shows it, as a JSON string holding that list. Only {@code inactivityDelay} is known.
   */
  private static Integer v2Delay(byte[] raw) {
    if (raw.length == 0) {
      return null;
    }
    JsonNode body;
    try {
      body = Json.BODIES.readTree(raw);
      if (body != null && body.isTextual()) {
        body = Json.BODIES.readTree(body.textValue());
      }
    } catch (IOException e) {
      throw new InvalidInput("body", "malformed JSON");
    }
    if (body == null || body.isNull()) {
      return null;
    }
    if (!body.isArray()) {
      throw new InvalidInput(
          "body", "the body must be a list of {\"propertyName\", \"propertyValue\"}");
    }
    Integer delay = null;
    for (int i = 0; i < body.size(); i++) {
      JsonNode property = body.get(i);
      if (!property.isObject()) {
        throw new InvalidInput(
            "[" + i + "]", "[" + i + "] must be a {\"propertyName\", \"propertyValue\"} object");
      }
      JsonBody.allowOnly(property, "[" + i + "].", Set.of("propertyName", "propertyValue"));
      String name = property.path("propertyName").asText(null);
      if (!"inactivityDelay".equals(name)) {
        throw new InvalidInput(
            "[" + i + "].propertyName",
            "unknown session property '" + name + "': only inactivityDelay is supported");
      }
      JsonNode value = property.get("propertyValue");
      try {
        delay = Integer.parseInt(value == null ? "" : value.asText().strip());
      } catch (NumberFormatException e) {
        throw new InvalidInput(
            "inactivityDelay", "inactivityDelay must be a whole number of seconds");
      }
    }
    return delay;
  }

  // ---- events

  private CompletableFuture<FastRoute.Written> events(FastRoute.Call call, int version) {
    int max = maxEvents(call.queryParam("maxEvents"));
    return streaming
        .poll(call.principal(), version, call.header(SESSION_HEADER), max)
        .thenApply(events -> encoded.collection(events, version));
  }

  static int maxEvents(String value) {
    if (value == null || value.isBlank()) {
      return 1;
    }
    try {
      int max = Integer.parseInt(value.strip());
      if (max >= 1 && max <= MAX_EVENTS) {
        return max;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new InvalidInput("maxEvents", "maxEvents must be a whole number from 1 to " + MAX_EVENTS);
  }

  // ---- acknowledgement

  private void acknowledge(Context ctx) {
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("events"));
    JsonNode events = body.node().get("events");
    if (events == null || !events.isArray() || events.isEmpty()) {
      throw new InvalidInput("events", "events must be a non-empty list of {\"eventId\"}");
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      JsonNode id = events.get(i).get("eventId");
      if (id == null || !id.isTextual() || id.textValue().isBlank()) {
        throw new InvalidInput(
            "events[" + i + "].eventId", "events[" + i + "].eventId is required");
      }
      JsonBody.allowOnly(events.get(i), "events[" + i + "].", Set.of("eventId"));
      ids.add(id.textValue());
    }
    StreamingService.Acknowledged result =
        streaming.acknowledge(principal(ctx), ctx.header(SESSION_HEADER), ids);
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("eventIdsAcknowledged", result.acknowledged());
    reply.put("eventIdsNotFound", result.notFound());
    ctx.json(reply);
  }

  // ---- subscriptions

  private void createSubscription(Context ctx) {
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("description", "filterCriteria"));
    var saved =
        streaming.saveSubscription(
            principal(ctx),
            ctx.header(SESSION_HEADER),
            null,
            body.optionalString("description").orElse(null),
            criteria(body));
    ctx.json(view(saved.getKey()));
  }

  private void putSubscription(Context ctx) {
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("description", "filterCriteria"));
    var saved =
        streaming.saveSubscription(
            principal(ctx),
            ctx.header(SESSION_HEADER),
            ctx.pathParam("subscriptionId"),
            body.optionalString("description").orElse(null),
            criteria(body));
    ctx.status(saved.getValue() ? 201 : 200).json(view(saved.getKey()));
  }

  private void listSubscriptions(Context ctx) {
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("kind", "via#subscriptionsCollection");
    reply.put(
        "subscriptions",
        streaming.subscriptions(principal(ctx), ctx.header(SESSION_HEADER)).stream()
            .map(StreamingRoutes::view)
            .toList());
    ctx.json(reply);
  }

  /** {@code filterCriteria} as the wire writes it; {@code resourceIds} may be one string. */
  static FilterCriteria criteria(JsonBody body) {
    JsonNode criteria = body.node().get("filterCriteria");
    if (criteria == null || criteria.isNull()) {
      throw InvalidInput.required("filterCriteria");
    }
    if (!criteria.isObject()) {
      throw new InvalidInput("filterCriteria", "filterCriteria must be an object");
    }
    JsonBody.allowOnly(
        criteria, "filterCriteria.", Set.of("catalogType", "catalogTypeEvents", "resources"));
    String catalogType = text(criteria, "catalogType", "filterCriteria.catalogType");
    JsonNode events = criteria.get("catalogTypeEvents");
    if (events == null || events.isNull()) {
      throw InvalidInput.required("filterCriteria.catalogTypeEvents");
    }
    List<String> names = strings(events, "filterCriteria.catalogTypeEvents");
    JsonNode resources = criteria.get("resources");
    if (resources == null || resources.isNull()) {
      throw InvalidInput.required("filterCriteria.resources");
    }
    if (!resources.isObject()) {
      throw new InvalidInput(
          "filterCriteria.resources", "filterCriteria.resources must be an object");
    }
    JsonBody.allowOnly(
        resources, "filterCriteria.resources.", Set.of("resourceType", "resourceIds"));
    String resourceType = text(resources, "resourceType", "filterCriteria.resources.resourceType");
    JsonNode ids = resources.get("resourceIds");
    List<String> resourceIds =
        ids == null || ids.isNull()
            ? List.of()
            : strings(ids, "filterCriteria.resources.resourceIds");
    return new FilterCriteria(catalogType, names, resourceType, resourceIds);
  }

  private static String text(JsonNode node, String field, String path) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw InvalidInput.required(path);
    }
    if (!value.isTextual()) {
      throw new InvalidInput(path, path + " must be a string");
    }
    return value.textValue();
  }

  private static List<String> strings(JsonNode node, String path) {
    if (node.isTextual()) {
      return List.of(node.textValue());
    }
    if (!node.isArray()) {
      throw new InvalidInput(path, path + " must be a list of strings");
    }
    List<String> values = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw new InvalidInput(path + "[" + i + "]", path + "[" + i + "] must be a string");
      }
      values.add(node.get(i).textValue());
    }
    return values;
  }

  static Map<String, Object> view(Subscription subscription) {
    FilterCriteria criteria = subscription.filterCriteria();
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("resourceType", criteria.resourceType());
    resources.put("resourceIds", criteria.resourceIds());
    Map<String, Object> filter = new LinkedHashMap<>();
    filter.put("catalogType", criteria.catalogType());
    filter.put("catalogTypeEvents", criteria.catalogTypeEvents());
    filter.put("resources", resources);
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("kind", "via#subscription");
    view.put("subscriptionId", subscription.id());
    view.put("description", subscription.description() == null ? "" : subscription.description());
    view.put("filterCriteria", filter);
    view.put("creationTime", subscription.createdAt());
    view.put("lastModifiedTime", subscription.lastModifiedAt());
    return view;
  }
}
