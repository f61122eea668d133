package io.pullroute.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.Pullroute;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.events.Interest;
import io.pullroute.events.JdbiEventLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** What a test sees of the event log: every event of an organization, through the hub. */
public final class EventsSeen {
  private EventsSeen() {}

  /** All events of {@code orgId} after {@code cursor}, once the hub has caught up with the log. */
  public static List<Event> after(Pullroute server, String orgId, long cursor) {
    long last = new JdbiEventLog(server.database().jdbi()).lastSeq();
    await().atMost(Duration.ofSeconds(20)).until(() -> server.hub().headSeq() >= last);
    return server
        .hub()
        .read(Interest.of(orgId, Set.of(Audience.organization(orgId))), cursor, 100_000)
        .events();
  }

  public static List<Event> all(Pullroute server, String orgId) {
    return after(server, orgId, 0);
  }

  /** The current end of the log; events after it are what a test's actions cause. */
  public static long mark(Pullroute server) {
    return new JdbiEventLog(server.database().jdbi()).lastSeq();
  }

  public static JsonNode payload(Event event) {
    try {
      return ApiClient.JSON.readTree(event.payload());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code pullModeEvent} string of a pullMode payload, parsed. */
  public static JsonNode pullModeEvent(Event event) {
    try {
      return ApiClient.JSON.readTree(payload(event).get("pullModeEvent").asText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<String> types(List<Event> events) {
    return events.stream().map(Event::type).toList();
  }
}
