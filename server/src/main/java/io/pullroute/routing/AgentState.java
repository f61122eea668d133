package io.pullroute.routing;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;

/**
 * What an agent chose to be when not busy: READY or NOT_READY (with a reason code). While the agent
 * is in at least one conversation it is ACTIVE; when it leaves the last one it passes through WRAP
 * back to this chosen state. New agents start NOT_READY.
 */
public record AgentState(
    String userId, String orgId, Base base, String reasonCode, Instant updatedAt) {

  /** The state an agent chooses. */
  public enum Base {
    READY,
    NOT_READY
  }

  /** What an agent is right now. */
  public enum Presence {
    READY,
    NOT_READY,
    ACTIVE
  }

  public AgentState {
    requireNonNull(userId, "userId");
    requireNonNull(base, "base");
    if (base == Base.READY) {
      reasonCode = null;
    }
    if (reasonCode != null && (reasonCode.isBlank() || reasonCode.length() > 64)) {
      throw new InvalidInput("reasonCode", "reasonCode must be 1-64 characters");
    }
  }

  public static AgentState initial(String userId, String orgId, Instant now) {
    return new AgentState(userId, orgId, Base.NOT_READY, null, now);
  }

  public Presence presence(int openConversations) {
    if (openConversations > 0) {
      return Presence.ACTIVE;
    }
    return base == Base.READY ? Presence.READY : Presence.NOT_READY;
  }
}
