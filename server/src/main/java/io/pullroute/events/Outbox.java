package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * Events a write must append in its own transaction (the transactional outbox), with the time and
 * correlation id they carry. Immutable.
 */
public record Outbox(Instant at, String correlationId, List<EventDraft> events) {
  public static final Outbox NONE = new Outbox(Instant.EPOCH, null, List.of());

  public Outbox {
    requireNonNull(at, "at");
    events = List.copyOf(events);
  }

  public boolean isEmpty() {
    return events.isEmpty();
  }
}
