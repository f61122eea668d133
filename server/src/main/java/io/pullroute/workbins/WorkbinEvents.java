package io.pullroute.workbins;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.events.Audience;
import io.pullroute.events.EventDraft;
import io.pullroute.http.Json;
import io.pullroute.routing.Conversation;
import io.pullroute.routing.Participant;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * The workbin notifications, shaped as the Genesys documentation prints the {@code data} of the
 * messages on {@code /v2/me/workbins}; the same objects are the payloads of the {@code workbin.*}
 * events that streaming sessions receive.
 */
final class WorkbinEvents {
  static final String STATE_CHANGE = "WorkbinStateChangeMessage";
  static final String SUBSCRIPTION_CHANGE = "WorkbinSubscriptionStateChangeMessage";

  /** The event type of a subscription change; its resource is the workbin (the list). */
  static final String SUBSCRIPTION_CHANGED = "workbin.SubscriptionStateChanged";

  private static final ObjectMapper JSON = Json.newMapper();

  /** Genesys writes {@code 2016-04-08 15:05:57.000+0300}. */
  static final DateTimeFormatter RECEIVED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

  private WorkbinEvents() {}

  /** An interaction as a workbin holds it. */
  static ObjectNode item(Conversation conversation, Media media, Workbin workbin) {
    ObjectNode item = JSON.createObjectNode();
    item.putArray("capabilities");
    item.put(media.typeField(), "Inbound");
    item.put("id", conversation.id());
    var participants = item.putArray("participants");
    for (Participant participant : conversation.participants()) {
      participants.add(participant.username());
    }
    item.put("receivedDate", RECEIVED.format(conversation.createdAt()));
    item.put("state", "InWorkbin");
    ObjectNode userData = item.putObject("userData");
    userData.put("InteractionId", conversation.id());
    userData.put("Workbin", workbin.name());
    userData.put("ListId", conversation.listId());
    userData.put("RequestState", conversation.state().name());
    userData.put("Priority", conversation.priority());
    if (conversation.channelCustomerIdentifier() != null) {
      userData.put("ChannelCustomerIdentifier", conversation.channelCustomerIdentifier());
    }
    if (conversation.customer() != null) {
      try {
        var customer = JSON.readTree(conversation.customer());
        if (customer.hasNonNull("firstName")) {
          userData.set("FirstName", customer.get("firstName"));
        }
        if (customer.hasNonNull("lastName")) {
          userData.set("LastName", customer.get("lastName"));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return item;
  }

  /** {@code WorkbinStateChangeMessage} with {@code action} ItemAdded or ItemRemoved. */
  static EventDraft itemChange(
      String action, Workbin workbin, Conversation conversation, Media media, long referenceId) {
    ObjectNode data = JSON.createObjectNode();
    data.put("action", action);
    group(data, workbin);
    data.set(media.resourceKey(), item(conversation, media, workbin));
    data.put("id", workbin.id());
    data.put("messageType", STATE_CHANGE);
    data.put("referenceId", referenceId);
    return new EventDraft(
        "workbin." + action, "workbins", workbin.id(), audience(workbin), data.toString());
  }

  /** {@code WorkbinSubscriptionStateChangeMessage}, to the agent that asked. */
  static EventDraft subscription(
      Workbin workbin, String userId, boolean subscribed, long referenceId) {
    ObjectNode data = JSON.createObjectNode();
    group(data, workbin);
    data.put("id", workbin.id());
    data.put("messageType", SUBSCRIPTION_CHANGE);
    data.put("referenceId", referenceId);
    data.put("stateResource", subscribed ? "Subscribed" : "Unsubscribed");
    return new EventDraft(
        SUBSCRIPTION_CHANGED,
        "workbins",
        workbin.id(),
        Set.of(Audience.user(userId)),
        data.toString());
  }

  /**
   * Who hears a workbin: a group's workbin is heard by its list's subscribers (subscribing to the
   * workbin subscribes to the list), an agent's own by the agent.
   */
  static Set<String> audience(Workbin workbin) {
    return workbin.isGroup()
        ? Set.of(Audience.list(workbin.id()), Audience.workbin(workbin.id()))
        : Set.of(Audience.user(workbin.id()), Audience.workbin(workbin.id()));
  }

  private static void group(ObjectNode data, Workbin workbin) {
    switch (workbin.type()) {
      case AgentGroup -> data.put("agentGroup", workbin.group());
      case PlaceGroup -> data.put("placeGroup", workbin.group());
      case Agent -> {
        // an agent's own workbin names no group
      }
    }
  }
}
