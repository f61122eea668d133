package io.pullroute.events;

import java.util.List;

/**
 * Events for one consumer, and the cursor to ask from next time: the {@code seq} up to which the
 * log has been looked through for it (past events that did not concern it, too).
 */
public record EventBatch(List<Event> events, long cursor) {
  public EventBatch {
    events = List.copyOf(events);
  }

  public boolean isEmpty() {
    return events.isEmpty();
  }
}
