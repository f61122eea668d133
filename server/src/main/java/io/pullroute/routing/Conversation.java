package io.pullroute.routing;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.Forbidden;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A request parked on a list, with the state machine of DESIGN.md §4.4 as pure transitions:
 *
 * <pre>
 * UNREAD   --join-->              ACTIVE
 * ACTIVE   --join (another)-->    ACTIVE
 * ACTIVE   --leave (not last)-->  ACTIVE
 * ACTIVE   --leave (last)-->      INACTIVE
 * INACTIVE --join-->              ACTIVE
 * UNREAD | ACTIVE | INACTIVE --close--> CLOSED
 * CLOSED   --join, leave, close, message--> refused (409)
 * </pre>
 *
 * Each transition returns the new conversation; the record itself never changes.
 *
 * @param interactionNumber the integer {@code interactionId} of spec 003 events
 * @param customer the customer as the channel sent it (a JSON object)
 * @param additionalAttributes the channel's additional attributes (a JSON array)
 */
public record Conversation(
    String id,
    String orgId,
    long interactionNumber,
    String listId,
    String channelId,
    ConversationState state,
    int priority,
    String customer,
    String channelCustomerIdentifier,
    String additionalAttributes,
    List<Participant> participants,
    Instant createdAt,
    Instant lastCustomerActivityAt,
    Instant closedAt,
    String closedBy) {

  public Conversation {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    requireNonNull(listId, "listId");
    requireNonNull(channelId, "channelId");
    requireNonNull(state, "state");
    participants = List.copyOf(participants);
    requireNonNull(createdAt, "createdAt");
    if (state == ConversationState.ACTIVE && participants.isEmpty()) {
      throw new IllegalStateException("ACTIVE without participants; this indicates a bug");
    }
    if (state != ConversationState.ACTIVE && !participants.isEmpty()) {
      throw new IllegalStateException(state + " with participants; this indicates a bug");
    }
  }

  public boolean hasParticipant(String userId) {
    return participants.stream().anyMatch(participant -> participant.userId().equals(userId));
  }

  /** Adds {@code agent}; the caller answers a repeated join without calling this. */
  public Conversation join(Participant agent) {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is closed");
    }
    if (hasParticipant(agent.userId())) {
      throw new IllegalStateException("join of a participant; this indicates a bug");
    }
    List<Participant> joined = new ArrayList<>(participants);
    joined.add(agent);
    return with(ConversationState.ACTIVE, joined, closedAt, closedBy);
  }

  /** Removes {@code userId}; the last one to leave makes the request INACTIVE. */
  public Conversation leave(String userId) {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is closed");
    }
    if (!hasParticipant(userId)) {
      throw new Conflict("conversation", "not a participant of conversation " + id);
    }
    List<Participant> left =
        participants.stream().filter(participant -> !participant.userId().equals(userId)).toList();
    return with(
        left.isEmpty() ? ConversationState.INACTIVE : ConversationState.ACTIVE,
        left,
        closedAt,
        closedBy);
  }

  /** Closes the request; its participants leave with it. */
  public Conversation close(Instant now, String by) {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is already closed");
    }
    return with(ConversationState.CLOSED, List.of(), now, by);
  }

  /**
   * Refuses an exclusive pull unless the request waits on its list with nobody in it (UNREAD, or
   * INACTIVE after everyone left).
   */
  public void checkPullable() {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is closed");
    }
    if (state == ConversationState.ACTIVE) {
      throw new Conflict(
          "conversation", "conversation " + id + " is already being handled; it cannot be pulled");
    }
  }

  /** The same request on another list (a workbin operation moved it). */
  public Conversation onList(String otherListId) {
    return new Conversation(
        id,
        orgId,
        interactionNumber,
        otherListId,
        channelId,
        state,
        priority,
        customer,
        channelCustomerIdentifier,
        additionalAttributes,
        participants,
        createdAt,
        lastCustomerActivityAt,
        closedAt,
        closedBy);
  }

  /** Refuses a message from the customer when the request is closed. */
  public void checkCustomerMessage() {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is closed");
    }
  }

  /** Refuses a message from an agent who is not in the conversation, or on a closed request. */
  public void checkAgentMessage(String userId) {
    if (state == ConversationState.CLOSED) {
      throw new Conflict("conversation", "conversation " + id + " is closed");
    }
    if (!hasParticipant(userId)) {
      throw new Forbidden("only participants may write in conversation " + id + "; join it first");
    }
  }

  private Conversation with(
      ConversationState newState, List<Participant> newParticipants, Instant closed, String by) {
    return new Conversation(
        id,
        orgId,
        interactionNumber,
        listId,
        channelId,
        newState,
        priority,
        customer,
        channelCustomerIdentifier,
        additionalAttributes,
        newParticipants,
        createdAt,
        lastCustomerActivityAt,
        closed,
        by);
  }
}
