package io.pullroute.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.pullroute.admin.WorkList;
import io.pullroute.auth.Principal;
import io.pullroute.auth.Scopes;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.http.Json;
import io.pullroute.http.JsonBody;
import io.pullroute.http.Requests;
import io.pullroute.http.RouteTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The routing API: intake, conversations, messages, subscriptions and agent state. */
public final class RoutingRoutes {
  private static final Set<String> INTAKE_FIELDS =
      Set.of(
          "customer",
          "channelCustomerIdentifier",
          "requestPriority",
          "additionalAttributes",
          "text");
  private static final int MAX_PRIORITY = 10_000;
  private static final int MAX_IDEMPOTENCY_KEY = 200;
  private static final int MAX_CUSTOMER_IDENTIFIER = 1000;

  private final RoutingService routing;

  public RoutingRoutes(RoutingService routing) {
    this.routing = routing;
  }

  public void register(RouteTable routes) {
    routes
        .add(
            HandlerType.POST,
            "/api/v1/channels/{channelId}/conversations",
            "routing",
            "Park a customer request on the channel's list (scope channel); Idempotency-Key makes"
                + " retries return the same request",
            this::intake)
        .add(
            HandlerType.GET,
            "/api/v1/conversations/{id}",
            "routing",
            "Read a request with its participants",
            this::read)
        .add(
            HandlerType.GET,
            "/api/v1/lists/{listId}/conversations",
            "routing",
            "Requests on a list (?state=UNREAD,ACTIVE,…; default the open ones), priority first,"
                + " then oldest first",
            this::onList)
        .add(
            HandlerType.POST,
            "/api/v1/conversations/{id}/messages",
            "routing",
            "Send a text: the customer's (scope channel) or a joined agent's",
            this::postMessage)
        .add(
            HandlerType.GET,
            "/api/v1/conversations/{id}/messages",
            "routing",
            "The texts of a request, oldest first",
            this::messages)
        .add(
            HandlerType.POST,
            "/api/v1/conversations/{id}/join",
            "routing",
            "Join a request (shared; joining again changes nothing)",
            this::join)
        .add(
            HandlerType.POST,
            "/api/v1/conversations/{id}/leave",
            "routing",
            "Leave a request; the last to leave makes it INACTIVE",
            this::leave)
        .add(
            HandlerType.POST,
            "/api/v1/conversations/{id}/close",
            "routing",
            "Close a request (a participant, a supervisor or the channel)",
            this::close)
        .add(
            HandlerType.PUT,
            "/api/v1/me/subscriptions/{listId}",
            "routing",
            "Subscribe to a list; answers its open requests",
            this::subscribe)
        .add(
            HandlerType.DELETE,
            "/api/v1/me/subscriptions/{listId}",
            "routing",
            "Unsubscribe from a list",
            this::unsubscribe)
        .add(
            HandlerType.GET,
            "/api/v1/me/subscriptions",
            "routing",
            "The lists the caller is subscribed to",
            this::subscriptions)
        .add(
            HandlerType.PUT,
            "/api/v1/me/state",
            "routing",
            "Set the agent's state: READY or NOT_READY with a reasonCode",
            this::setState)
        .add(HandlerType.GET, "/api/v1/me/state", "routing", "The agent's state", this::state);
  }

  // ---- intake

  private void intake(Context ctx) {
    String orgId = Requests.orgWithScope(ctx, Scopes.CHANNEL);
    JsonBody body = JsonBody.of(ctx).allowOnly(INTAKE_FIELDS);
    int priority = body.optionalInt("requestPriority").orElse(0);
    if (priority < 0 || priority > MAX_PRIORITY) {
      throw new InvalidInput(
          "requestPriority", "requestPriority must be between 0 and " + MAX_PRIORITY);
    }
    JsonNode attributes = body.node().get("additionalAttributes");
    if (attributes != null && !attributes.isNull() && !attributes.isArray()) {
      throw new InvalidInput(
          "additionalAttributes", "additionalAttributes must be an array of {key, type, value}");
    }
    String identifier = body.optionalString("channelCustomerIdentifier").orElse(null);
    if (identifier != null && identifier.length() > MAX_CUSTOMER_IDENTIFIER) {
      // It goes into every event of the request, and into its customer's id there.
      throw new InvalidInput(
          "channelCustomerIdentifier",
          "channelCustomerIdentifier must be at most " + MAX_CUSTOMER_IDENTIFIER + " characters");
    }
    String text = body.optionalString("text").orElse(null);
    if (text != null && text.length() > Message.MAX_TEXT) {
      throw new InvalidInput("text", "text must be at most " + Message.MAX_TEXT + " characters");
    }
    String key = ctx.header("Idempotency-Key");
    if (key != null && (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY)) {
      throw new InvalidInput(
          "Idempotency-Key", "Idempotency-Key must be 1-" + MAX_IDEMPOTENCY_KEY + " characters");
    }
    RoutingService.Intake intake =
        new RoutingService.Intake(
            body.optionalObject("customer").map(RoutingRoutes::write).orElse(null),
            identifier,
            priority,
            attributes == null || attributes.isNull() ? null : write(attributes),
            text == null || text.isBlank() ? null : text,
            key);
    RoutingService.IntakeResult result =
        routing.intake(orgId, ctx.pathParam("channelId"), intake, Requests.correlationId(ctx));
    ctx.status(result.created() ? 201 : 200).json(view(result.conversation()));
  }

  // ---- conversations

  private void read(Context ctx) {
    Principal principal = principal(ctx);
    ctx.json(view(routing.conversation(principal, ctx.pathParam("id"))));
  }

  private void onList(Context ctx) {
    Principal principal = principal(ctx);
    Set<ConversationState> states = states(ctx.queryParams("state"));
    ctx.json(
        routing.onList(principal, ctx.pathParam("listId"), states).stream()
            .map(RoutingRoutes::view)
            .toList());
  }

  private static Set<ConversationState> states(List<String> values) {
    if (values.isEmpty()) {
      return RoutingService.OPEN;
    }
    Set<ConversationState> states = EnumSet.noneOf(ConversationState.class);
    for (String value : values) {
      for (String name : value.split(",")) {
        try {
          states.add(ConversationState.valueOf(name.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new InvalidInput(
              "state", "unknown state '" + name + "': use UNREAD, ACTIVE, INACTIVE or CLOSED");
        }
      }
    }
    return states;
  }

  private void join(Context ctx) {
    ctx.json(view(routing.join(principal(ctx), ctx.pathParam("id"), Requests.correlationId(ctx))));
  }

  private void leave(Context ctx) {
    ctx.json(view(routing.leave(principal(ctx), ctx.pathParam("id"), Requests.correlationId(ctx))));
  }

  private void close(Context ctx) {
    ctx.json(view(routing.close(principal(ctx), ctx.pathParam("id"), Requests.correlationId(ctx))));
  }

  // ---- messages

  private void postMessage(Context ctx) {
    Principal principal = principal(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("text"));
    Message message =
        routing.postMessage(
            principal,
            ctx.pathParam("id"),
            body.optionalString("text").orElse(null),
            Requests.correlationId(ctx));
    ctx.status(201).json(view(message));
  }

  private void messages(Context ctx) {
    ctx.json(
        routing.messages(principal(ctx), ctx.pathParam("id")).stream()
            .map(RoutingRoutes::view)
            .toList());
  }

  // ---- subscriptions

  private void subscribe(Context ctx) {
    Principal principal = principal(ctx);
    String listId = ctx.pathParam("listId");
    List<Conversation> open = routing.subscribe(principal, listId);
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("listId", listId);
    reply.put("subscribed", true);
    reply.put("conversations", open.stream().map(RoutingRoutes::view).toList());
    ctx.json(reply);
  }

  private void unsubscribe(Context ctx) {
    routing.unsubscribe(principal(ctx), ctx.pathParam("listId"));
    ctx.status(204);
  }

  private void subscriptions(Context ctx) {
    ctx.json(
        routing.subscriptions(principal(ctx)).stream()
            .map(RoutingRoutes::subscriptionView)
            .toList());
  }

  private static Map<String, Object> subscriptionView(WorkList list) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("listId", list.id());
    view.put("name", list.name());
    view.put("counts", new java.util.TreeMap<>(list.counts()));
    return view;
  }

  // ---- agent state

  private void setState(Context ctx) {
    Principal principal = principal(ctx);
    principal.requireUser("agents' calls");
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("state", "reasonCode"));
    String state = body.requiredString("state");
    AgentState.Base base;
    try {
      base = AgentState.Base.valueOf(state);
    } catch (IllegalArgumentException e) {
      throw new InvalidInput("state", "state must be READY or NOT_READY");
    }
    String reason = body.optionalString("reasonCode").orElse(null);
    if (base == AgentState.Base.READY && reason != null) {
      throw new InvalidInput("reasonCode", "reasonCode goes with NOT_READY only");
    }
    ctx.json(view(routing.setState(principal, base, reason, Requests.correlationId(ctx))));
  }

  private void state(Context ctx) {
    ctx.json(view(routing.status(principal(ctx))));
  }

  // ---- wire forms

  private static Principal principal(Context ctx) {
    Requests.org(ctx);
    return Requests.principal(ctx);
  }

  static Map<String, Object> view(Conversation conversation) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", conversation.id());
    view.put("interactionId", conversation.interactionNumber());
    view.put("listId", conversation.listId());
    view.put("channelId", conversation.channelId());
    view.put("state", conversation.state().name());
    view.put("priority", conversation.priority());
    view.put("customer", conversation.customer() == null ? null : read(conversation.customer()));
    view.put("channelCustomerIdentifier", conversation.channelCustomerIdentifier());
    view.put(
        "additionalAttributes",
        conversation.additionalAttributes() == null
            ? List.of()
            : read(conversation.additionalAttributes()));
    view.put(
        "participants",
        conversation.participants().stream()
            .map(
                participant -> {
                  Map<String, Object> entry = new LinkedHashMap<>();
                  entry.put("userId", participant.userId());
                  entry.put("username", participant.username());
                  entry.put("joinedAt", participant.joinedAt());
                  return entry;
                })
            .toList());
    view.put("createdAt", conversation.createdAt());
    view.put("closedAt", conversation.closedAt());
    return view;
  }

  static Map<String, Object> view(Message message) {
    Map<String, Object> from = new LinkedHashMap<>();
    from.put("type", message.sender().name());
    from.put("id", message.senderId());
    from.put("name", message.senderName());
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", message.id());
    view.put("conversationId", message.conversationId());
    view.put("from", from);
    view.put("text", message.text());
    view.put("createdAt", message.createdAt());
    return view;
  }

  static Map<String, Object> view(RoutingService.Status status) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("state", status.state().name());
    view.put("chosenState", status.chosen().name());
    view.put("reasonCode", status.reasonCode());
    view.put("conversations", status.conversations());
    return view;
  }

  private static JsonNode read(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
