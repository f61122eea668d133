package io.pullroute.streaming;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;

/**
 * A streaming session of spec 003: who owns it, which API version created it, how long it lives
 * without a poll, and whether its events must be acknowledged. Its cursor and pending events are
 * runtime state, kept by {@link LiveSession}.
 *
 * @param owner the owning principal's key ({@code Principal.key()})
 * @param version 2 or 3
 * @param inactivityDelay seconds without a poll after which the session expires
 */
public record StreamingSession(
    String id,
    String orgId,
    String owner,
    int version,
    int inactivityDelay,
    boolean requireAcknowledgement,
    Instant createdAt) {

  public static final int MIN_DELAY = 60;
  public static final int MAX_DELAY = 600;
  public static final int DEFAULT_DELAY = 60;

  public StreamingSession {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    requireNonNull(owner, "owner");
    if (version != 2 && version != 3) {
      throw new IllegalArgumentException("version must be 2 or 3");
    }
    if (inactivityDelay < MIN_DELAY || inactivityDelay > MAX_DELAY) {
      throw new InvalidInput(
          "inactivityDelay",
          "inactivityDelay must be between " + MIN_DELAY + " and " + MAX_DELAY + " seconds");
    }
    if (version == 2 && requireAcknowledgement) {
      throw new InvalidInput("requireAcknowledgement", "acknowledgement needs a v3 session");
    }
    requireNonNull(createdAt, "createdAt");
  }

  public boolean expiredAt(Instant lastPoll, Instant now) {
    return !now.isBefore(lastPoll.plusSeconds(inactivityDelay));
  }
}
