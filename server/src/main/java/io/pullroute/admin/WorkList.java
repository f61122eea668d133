package io.pullroute.admin;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;
import java.util.Map;

/**
 * A list on which PULL channels park requests. Owned by at most one agent group or place group (by
 * name), which makes it that group's workbin.
 *
 * @param reminderAfterSeconds remind subscribers of a request still UNREAD after this long
 * @param counts open requests per state (UNREAD, ACTIVE, INACTIVE)
 */
public record WorkList(
    String id,
    String orgId,
    String name,
    String description,
    String agentGroup,
    String placeGroup,
    Integer reminderAfterSeconds,
    Map<String, Integer> counts,
    Instant createdAt) {
  public WorkList {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    name = Validate.name("name", name);
    description = Validate.text("description", description);
    if (agentGroup != null && placeGroup != null) {
      throw new InvalidInput(
          "placeGroup", "a list is owned by an agentGroup or a placeGroup, not both");
    }
    if (reminderAfterSeconds != null
        && (reminderAfterSeconds < 1 || reminderAfterSeconds > 86_400)) {
      throw new InvalidInput("reminderAfter", "reminderAfter must be between 1 and 86400 seconds");
    }
    counts = Map.copyOf(counts);
    requireNonNull(createdAt, "createdAt");
  }
}
