package io.pullroute.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.store.CommitGroups;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * Events from external producers (telephony, outreach adapters): validated against the catalog,
 * appended to the log and delivered like any other. Thread-safe.
 */
public final class EventPublisher {
  /** Most publishes in one transaction. */
  private static final int MAX_GROUP = 64;

  private final Jdbi jdbi;
  private final EventCatalog catalog;
  private final InstantSource clock;

  /**
   * Publishes that arrive while one commits share the next transaction: one turn on the event
   * sequence, one insert and one commit for the group, instead of one each.
   */
  private final CommitGroups<Publish> publishes =
      new CommitGroups<>("pullroute-publish-commit", MAX_GROUP, this::append);

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
    Publish publish = new Publish(new JdbiEventLog.Appended(orgId, correlationId, List.of(draft)));
    publishes.run(publish);
    return publish.get();
  }

  /** Publishes waiting for their group (for tests). */
  int waiting() {
    return publishes.waiting();
  }

  /** On the committer thread: a group's events in one transaction, in the order they came. */
  private void append(List<Publish> group) {
    Instant now = clock.instant(); // the log keeps it to the millisecond
    List<Event> events =
        jdbi.inTransaction(
            handle ->
                JdbiEventLog.append(
                    handle, now, group.stream().map(publish -> publish.appended).toList()));
    for (int i = 0; i < group.size(); i++) {
      group.get(i).succeeded(events.get(i));
    }
  }

  /** One publish (a command of one event), and what came of it. */
  private static final class Publish extends CommitGroups.Result<Event> {
    final JdbiEventLog.Appended appended;

    Publish(JdbiEventLog.Appended appended) {
      this.appended = appended;
    }
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
