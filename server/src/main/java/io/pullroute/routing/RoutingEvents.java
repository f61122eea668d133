package io.pullroute.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.admin.Channel;
import io.pullroute.events.Audience;
import io.pullroute.events.EventDraft;
import io.pullroute.http.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * The events routing publishes, with their payloads: {@code pullMode.*} in the shape of spec 000,
 * {@code messaging.*} and {@code engagementCenter.*} in the shapes of spec 003.
 */
final class RoutingEvents {
  static final String RECEIVED = "pullMode.ListRequestReceived";
  static final String UPDATED = "pullMode.ListRequestUpdated";
  static final String REMOVED = "pullMode.ListRequestRemoved";

  /** spec 003 messaging entity types. */
  static final int AGENT = 1;

  static final int CUSTOMER = 3;

  /** spec 003 {@code statusReason} of an active agent. */
  private static final int AG_ACTIVE = 2;

  /** {@code InteractionClear.state}: the next state is Wrap (documented in docs/routing.md). */
  static final int NEXT_STATE_WRAP = 7;

  private static final ObjectMapper JSON = Json.newMapper();

  private RoutingEvents() {}

  // ---- pullMode (spec 000)

  static EventDraft listRequest(
      String type, Conversation conversation, Channel channel, Instant time, Long waitingSeconds) {
    String status =
        switch (type) {
          case RECEIVED -> "CREATED";
          case REMOVED -> conversation.state() == ConversationState.CLOSED ? "CLOSED" : "REMOVED";
          default -> conversation.state().name();
        };
    ObjectNode event = JSON.createObjectNode();
    event.put("id", conversation.id());
    event.set("channelSession", channelSession(conversation, channel));
    event.put("status", status);
    event.put("listId", conversation.listId());
    event.put("time", time.toEpochMilli());
    if (waitingSeconds != null) {
      event.put("waitingSeconds", waitingSeconds);
    }
    ObjectNode payload = JSON.createObjectNode();
    payload.put("pullModeEvent", write(event));
    payload.put(
        "type",
        switch (type) {
          case RECEIVED -> "PULL_MODE_LIST_REQUEST_RECEIVED";
          case REMOVED -> "PULL_MODE_LIST_REQUEST_REMOVED";
          default -> "PULL_MODE_LIST_REQUEST_UPDATED";
        });
    payload.put("conversationId", conversation.listId());
    return new EventDraft(
        type,
        "lists",
        conversation.listId(),
        Set.of(Audience.list(conversation.listId()), Audience.workbin(conversation.listId())),
        write(payload));
  }

  private static ObjectNode channelSession(Conversation conversation, Channel channel) {
    ObjectNode tenant = JSON.createObjectNode().put("id", conversation.orgId()).putNull("name");
    ObjectNode channelType = JSON.createObjectNode();
    channelType.put("id", channel.channelType());
    channelType.put("name", channel.channelType());
    channelType.put("channelLogo", "_" + channel.channelType() + ".svg");
    channelType.put("isInteractive", !channel.channelType().equals("EMAIL"));
    channelType.put("mediaRoutingDomain", media(channel));

    ObjectNode config = JSON.createObjectNode();
    config.put("id", channel.id());
    config.put("channelMode", channel.routingMode());
    config.put("conversationBot", "");
    config.put("responseSla", 0);
    config.put(
        "customerActivityTimeout",
        channel.customerActivityTimeout() == null ? 0 : channel.customerActivityTimeout());
    ObjectNode sla = config.putObject("customerSla");
    sla.putNull("totalDuration");
    sla.putNull("action");
    sla.putNull("startTime");
    config.putObject("customerIdentificationCriteria").putNull("value");
    ObjectNode policy = config.putObject("routingPolicy");
    policy.put("agentSelectionPolicy", "LONGEST_AVAILABLE");
    policy.put("routeToLastAgent", false);
    policy.put("routingMode", channel.routingMode());
    policy.put("routingObjectId", conversation.listId());
    policy.put(
        "agentRequestTtl", channel.agentRequestTtl() == null ? 0 : channel.agentRequestTtl());
    config.put("botId", "");

    ObjectNode connector = JSON.createObjectNode();
    connector.put("id", channel.id());
    connector.put("name", channel.name());
    ObjectNode provider = connector.putObject("channelProviderInterface");
    provider.put("id", channel.channelType());
    provider.put("name", channel.channelType().toLowerCase(java.util.Locale.ROOT));
    provider.putArray("supportedChannelTypes").add(channelType.deepCopy());
    provider.put("providerWebhook", "");
    provider.putArray("channelProviderConfigSchema");
    connector.putArray("channelProviderConfigs");
    connector.set("tenant", tenant.deepCopy());

    ObjectNode channelNode = JSON.createObjectNode();
    channelNode.put("id", channel.id());
    channelNode.put("name", channel.name());
    channelNode.put("serviceIdentifier", channel.serviceIdentifier());
    channelNode.put("defaultOutbound", false);
    channelNode.set("tenant", tenant);
    channelNode.set("channelConfig", config);
    channelNode.set("channelConnector", connector);
    channelNode.set("channelType", channelType);

    ObjectNode customer = customer(conversation);
    ObjectNode channelData = JSON.createObjectNode();
    channelData.put("channelCustomerIdentifier", conversation.channelCustomerIdentifier());
    channelData.put("serviceIdentifier", channel.serviceIdentifier());
    channelData.put("requestPriority", conversation.priority());
    channelData.set("customerFirstName", customer.get("firstName"));
    channelData.set("customerLastName", customer.get("lastName"));
    channelData.set("additionalAttributes", attributes(conversation));

    boolean open = conversation.state().isOpen();
    ObjectNode session = JSON.createObjectNode();
    session.put("participantType", "ChannelSession");
    session.put("id", conversation.id());
    session.set("channel", channelNode);
    session.set("customer", customer);
    session.putArray("customerSuggestions");
    session.set("channelData", channelData);
    session.putNull("latestIntent");
    session.putObject("customerPresence").putNull("value");
    session.put("isActive", open);
    session.put("conversationId", conversation.id());
    session.putObject("roomInfo").put("id", conversation.id()).put("mode", "CONTACT_CENTER");
    session
        .putObject("state")
        .put("name", open ? "STARTED" : "ENDED")
        .put("reasonCode", "CUSTOMER");
    session.put("channelSessionDirection", "INBOUND");
    session.put("active", open);
    return session;
  }

  /** The customer as the channel gave it, with a stable {@code _id} and spec 000's fields. */
  static ObjectNode customer(Conversation conversation) {
    ObjectNode given =
        conversation.customer() == null
            ? JSON.createObjectNode()
            : (ObjectNode) read(conversation.customer());
    ObjectNode customer = JSON.createObjectNode();
    customer.put("_id", customerId(conversation));
    customer.set("firstName", given.has("firstName") ? given.get("firstName") : nullNode());
    customer.set("lastName", given.has("lastName") ? given.get("lastName") : nullNode());
    ArrayNode phones = customer.putArray("phoneNumber");
    if (given.hasNonNull("phone")) {
      phones.add(given.get("phone"));
    }
    customer.put("isAnonymous", !given.hasNonNull("firstName") && !given.hasNonNull("email"));
    customer.setAll(given);
    return customer;
  }

  private static ArrayNode attributes(Conversation conversation) {
    if (conversation.additionalAttributes() == null) {
      return JSON.createArrayNode();
    }
    return (ArrayNode) read(conversation.additionalAttributes());
  }

  /** The same customer on the same channel always gets the same id. */
  static String customerId(Conversation conversation) {
    String identity =
        conversation.channelId()
            + "/"
            + (conversation.channelCustomerIdentifier() == null
                ? conversation.id()
                : conversation.channelCustomerIdentifier());
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String customerName(Conversation conversation) {
    ObjectNode customer = customer(conversation);
    String first = customer.path("firstName").asText("");
    String last = customer.path("lastName").asText("");
    String name = (first + " " + last).strip();
    return name.isEmpty() ? "customer" : name;
  }

  // ---- messaging (spec 003)

  /**
   * {@code audience} and, when it holds {@code conversation}'s key, the keys of its participants at
   * the commit: a session matches an event against what its user hears at the poll, and a
   * participant that left before its next poll no longer hears the conversation. It still hears
   * what was said while it was in it.
   */
  static Set<String> withParticipants(Conversation conversation, Set<String> audience) {
    if (conversation.participants().isEmpty()
        || !audience.contains(Audience.conversation(conversation.id()))) {
      return audience;
    }
    Set<String> keys = new java.util.LinkedHashSet<>(audience);
    conversation
        .participants()
        .forEach(participant -> keys.add(Audience.user(participant.userId())));
    return Set.copyOf(keys);
  }

  /**
   * An agent added to or removed from {@code conversation} ({@code name}: {@code EntityAdded} or
   * {@code EntityRemoved}), heard on the request and by that agent.
   */
  static EventDraft agentEntity(
      String name, Conversation conversation, String userId, String displayName) {
    return entity(
        name,
        conversation,
        AGENT,
        userId,
        displayName,
        userId,
        Set.of(Audience.conversation(conversation.id()), Audience.user(userId)));
  }

  static EventDraft entity(
      String name,
      Conversation conversation,
      int entityType,
      String entityId,
      String entityName,
      String userId,
      Set<String> audience) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("interactionId", conversation.interactionNumber());
    payload.put("interactionIdRev", Long.toString(conversation.interactionNumber()));
    payload.put("entityType", entityType);
    payload.put("entityId", entityId);
    payload.put("entityName", entityName);
    return new EventDraft(
        "messaging." + name,
        "conversations",
        conversation.id(),
        withParticipants(conversation, audience),
        envelope(userId, payload));
  }

  static EventDraft text(
      Conversation conversation, int entityType, String entityName, String userId, String text) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("interactionId", conversation.interactionNumber());
    payload.put("interactionIdRev", Long.toString(conversation.interactionNumber()));
    payload.put("entityType", entityType);
    payload.put("entityName", entityName);
    payload.put("text", text);
    return new EventDraft(
        "messaging.EntitySendText",
        "conversations",
        conversation.id(),
        withParticipants(conversation, Set.of(Audience.conversation(conversation.id()))),
        envelope(userId, payload));
  }

  // ---- engagementCenter (spec 003)

  static EventDraft active(String userId, Conversation conversation, Channel channel) {
    ObjectNode payload = interaction(conversation.interactionNumber());
    payload.put("category", category(channel));
    payload.put("statusReason", AG_ACTIVE);
    return agentEvent("Active", userId, payload);
  }

  static EventDraft wrap(String userId, Conversation conversation) {
    return agentEvent("Wrap", userId, interaction(conversation.interactionNumber()));
  }

  static EventDraft interactionClear(String userId, Conversation conversation) {
    ObjectNode payload = interaction(conversation.interactionNumber());
    payload.put("state", NEXT_STATE_WRAP);
    return agentEvent("InteractionClear", userId, payload);
  }

  /** Idle; {@code interactionNumber} 0 means the agent became ready, else that it was disposed. */
  static EventDraft idle(String userId, long interactionNumber) {
    return agentEvent("Idle", userId, interaction(interactionNumber));
  }

  static EventDraft notReady(String userId, String reasonCode) {
    ObjectNode payload = JSON.createObjectNode();
    String reason = reasonCode == null ? "0" : reasonCode;
    payload.put("reasonId", reason.matches("\\d{1,9}") ? Integer.parseInt(reason) : 0);
    payload.put("reasonIdRev", reason);
    return agentEvent("NotReady", userId, payload);
  }

  static EventDraft error(String userId, Long interactionNumber, int failCode, String reason) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("interactionId", interactionNumber == null ? "0" : interactionNumber.toString());
    payload.put("eventCode", 10);
    payload.put("failCode", failCode);
    payload.put("worktypeId", "0");
    payload.put("workTypeIdRev", 0);
    payload.put("failReason", reason);
    payload.put("localizedFailReason", reason);
    return agentEvent("Error", userId, payload);
  }

  /** The state event an agent gets when it is no longer busy: Idle or NotReady. */
  static EventDraft rest(AgentState state, long interactionNumber) {
    return state.base() == AgentState.Base.READY
        ? idle(state.userId(), interactionNumber)
        : notReady(state.userId(), state.reasonCode());
  }

  private static EventDraft agentEvent(String name, String userId, ObjectNode payload) {
    return new EventDraft(
        "engagementCenter." + name,
        "users",
        userId,
        Set.of(Audience.user(userId)),
        envelope(userId, payload));
  }

  private static ObjectNode interaction(long interactionNumber) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("interactionId", interactionNumber);
    payload.put("interactionIdRev", Long.toString(interactionNumber));
    return payload;
  }

  /** The media routing domain of a channel type, as the workbin API names media. */
  static String media(Channel channel) {
    return switch (channel.channelType()) {
      case "EMAIL" -> "email";
      case "SMS" -> "sms";
      case "TWITTER" -> "tweet";
      case "FACEBOOK", "FACEBOOK_COMMENTS" -> "facebook";
      case "WORKITEM" -> "workitem";
      case "OPENMEDIA" -> "openmedia";
      default -> "chat";
    };
  }

  /** spec 003 media categories: chat, email picked by an agent, SMS, other messaging. */
  static int category(Channel channel) {
    return switch (channel.channelType()) {
      case "EMAIL" -> 25;
      case "SMS" -> 33;
      case "WEB" -> 23;
      default -> 32;
    };
  }

  private static String envelope(String userId, ObjectNode payload) {
    ObjectNode envelope = JSON.createObjectNode();
    if (userId != null) {
      envelope.put("userId", userId);
    }
    envelope.set("payload", payload);
    return write(envelope);
  }

  private static JsonNode nullNode() {
    return JSON.nullNode();
  }

  static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
