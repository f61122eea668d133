package io.pullroute.routing;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** An agent in a conversation, since {@code joinedAt}. */
public record Participant(String userId, String username, Instant joinedAt) {
  public Participant {
    requireNonNull(userId, "userId");
    requireNonNull(username, "username");
    requireNonNull(joinedAt, "joinedAt");
  }
}
