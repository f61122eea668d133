package io.pullroute.routing;

/** The states of a request on a list (spec 002). */
public enum ConversationState {
  /** No agent has joined yet. */
  UNREAD,
  /** At least one agent is in the conversation. */
  ACTIVE,
  /** Agents joined and all left without closing; still on the list. */
  INACTIVE,
  /** Closed and removed from the list. */
  CLOSED;

  public boolean isOpen() {
    return this != CLOSED;
  }
}
