package io.pullroute.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.HandlerType;
import io.pullroute.auth.Scopes;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.http.FastRoute;
import io.pullroute.http.HttpServer;
import io.pullroute.http.JsonBody;
import io.pullroute.http.Requests;
import io.pullroute.http.RouteTable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/** {@code POST /api/v1/events}: external producers add catalog events (scope {@code publish}). */
public final class PublishRoutes {
  private static final Pattern RESOURCE_TYPE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_-]{0,63}");

  private final EventPublisher publisher;

  public PublishRoutes(EventPublisher publisher) {
    this.publisher = publisher;
  }

  public void register(RouteTable routes) {
    // Served in front of the web framework, like the long poll and the pull (FastRoute): every
    // event's delivery waits for this call, so its cost is on every subscriber's latency.
    routes.fast(
        HandlerType.POST,
        "/api/v1/events",
        "events",
        "Publish a catalog event (scope publish); the payload is validated against the event"
            + " type's schema",
        call -> CompletableFuture.completedFuture(publish(call)));
  }

  private FastRoute.Answer publish(FastRoute.Call call) {
    String orgId = Requests.orgWithScope(call.principal(), Scopes.PUBLISH);
    JsonBody body =
        JsonBody.parse(call.body())
            .allowOnly(Set.of("eventType", "resource", "correlationId", "payload"));
    String type = body.requiredString("eventType");
    JsonNode resource =
        body.optionalObject("resource").orElseThrow(() -> InvalidInput.required("resource"));
    JsonBody.allowOnly(resource, "resource.", Set.of("type", "id"));
    String resourceType = text(resource, "type", "resource.type");
    if (!RESOURCE_TYPE.matcher(resourceType).matches()) {
      throw new InvalidInput("resource.type", "resource.type must be a word such as users");
    }
    String resourceId = text(resource, "id", "resource.id");
    if (!JdbiEventLog.storableInAudience(resourceId)) {
      // It becomes part of an audience key (user:<id>, …).
      throw new InvalidInput("resource.id", "resource.id must not contain spaces");
    }
    JsonNode payload =
        body.optionalObject("payload").orElseThrow(() -> InvalidInput.required("payload"));
    String correlationId = body.optionalString("correlationId").orElse(call.correlationId());
    if (!HttpServer.usableCorrelationId(correlationId)) {
      // As an X-Correlation-Id is taken; it is stored with the event and sent to every subscriber.
      throw new InvalidInput("correlationId", "correlationId must be a string of 1-200 characters");
    }
    Event event = publisher.publish(orgId, type, resourceType, resourceId, correlationId, payload);
    return new FastRoute.Answer(202, Map.of("eventId", event.id()), Map.of());
  }

  private static String text(JsonNode node, String field, String path) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw InvalidInput.required(path);
    }
    if (!value.isTextual() || value.textValue().isBlank() || value.textValue().length() > 200) {
      throw new InvalidInput(path, path + " must be a string of 1-200 characters");
    }
    return value.textValue();
  }
}
