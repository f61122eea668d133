package io.pullroute.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * Events from external producers (telephony, outreach adapters): validated against the catalog,
 * appended to the log and delivered like any other. Thread-safe.
 */
public final class EventPublisher {
  private final Jdbi jdbi;
  private final EventCatalog catalog;
  private final InstantSource clock;

  public EventPublisher(Jdbi jdbi, EventCatalog catalog, InstantSource clock) {
    this.jdbi = jdbi;
    this.catalog = catalog;
    this.clock = clock;
  }

  /** Validates and appends one event; returns it with its id. */
  public Event publish(
      String orgId,
      String type,
      String resourceType,
      String resourceId,
      String correlationId,
      JsonNode payload) {
    if (!catalog.knows(type)) {
      throw new InvalidInput("eventType", "unknown eventType '" + type + "'");
    }
    List<EventCatalog.Violation> violations = catalog.validate(type, payload);
    if (!violations.isEmpty()) {
      EventCatalog.Violation first = violations.getFirst();
      throw new InvalidInput(first.field(), first.field() + ": " + first.message());
    }
    EventDraft draft =
        new EventDraft(
            type, resourceType, resourceId, audience(resourceType, resourceId), payload.toString());
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    return jdbi.inTransaction(
        handle ->
            JdbiEventLog.append(handle, now, orgId, correlationId, List.of(draft)).getFirst());
  }

  /** Who hears about a resource without subscribing. */
  static Set<String> audience(String resourceType, String resourceId) {
    Set<String> keys = new HashSet<>();
    switch (resourceType) {
      case "users" -> keys.add(Audience.user(resourceId));
      case "lists" -> keys.add(Audience.list(resourceId));
      case "conversations" -> keys.add(Audience.conversation(resourceId));
      case "teams" -> keys.add(Audience.team(resourceId));
      case "workbins" -> keys.add(Audience.workbin(resourceId));
      default -> {
        // Only sessions subscribed to this catalog type hear it.
      }
    }
    return keys;
  }
}
