package io.pullroute.streaming;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;

/** A spec 003 subscription of one session: more events than its owner gets by default. */
public record Subscription(
    String sessionId,
    String id,
    String description,
    FilterCriteria filterCriteria,
    Instant createdAt,
    Instant lastModifiedAt) {
  public static final int MAX_DESCRIPTION = 500;

  public Subscription {
    requireNonNull(sessionId, "sessionId");
    requireNonNull(id, "id");
    if (id.isBlank() || id.length() > 100) {
      throw new InvalidInput("subscriptionId", "subscriptionId must be 1-100 characters");
    }
    if (description != null && description.length() > MAX_DESCRIPTION) {
      throw new InvalidInput(
          "description", "description must be at most " + MAX_DESCRIPTION + " characters");
    }
    requireNonNull(filterCriteria, "filterCriteria");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(lastModifiedAt, "lastModifiedAt");
  }

  /** This subscription, watching only {@code resourceIds} of its resource type. */
  Subscription watching(java.util.List<String> resourceIds) {
    FilterCriteria criteria =
        new FilterCriteria(
            filterCriteria.catalogType(),
            filterCriteria.catalogTypeEvents(),
            filterCriteria.resourceType(),
            resourceIds);
    return new Subscription(sessionId, id, description, criteria, createdAt, lastModifiedAt);
  }
}
