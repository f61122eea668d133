package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.events.Event;
import io.pullroute.http.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Poll answers from items written once per event: the same bytes as an answer written whole, and
 * never one event's item for another's.
 */
class EncodedEventsTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.125Z");

  private static Event event(long seq, String correlationId, String payload) {
    return new Event(
        seq,
        "1763806530125-" + seq,
        "o",
        "pullMode.ListRequestReceived",
        "lists",
        "l1",
        Set.of("list:l1"),
        correlationId,
        payload,
        AT);
  }

  /** The answer as the server wrote it before items were kept: the whole collection, at once. */
  private static byte[] writtenWhole(List<Event> events, int version) throws Exception {
    List<Map<String, Object>> items = new ArrayList<>();
    for (Event event : events) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("kind", "via#" + event.category() + "Event");
      if (version == 2) {
        item.put("id", event.id());
        item.put("type", event.type());
      } else {
        item.put("eventId", event.id());
        item.put("correlationId", event.correlationId() == null ? "" : event.correlationId());
        item.put("eventType", event.type());
      }
      item.put("publishedTime", event.createdAt());
      item.put("schemaVersion", "1");
      item.put("payload", event.payload());
      items.add(item);
    }
    Map<String, Object> collection = new LinkedHashMap<>();
    collection.put("kind", "via#streamingEventCollection");
    collection.put("totalItems", items.size());
    collection.put("events", items);
    return Json.MAPPER.writeValueAsBytes(collection);
  }

  @Test
  void an_answer_is_byte_for_byte_the_one_written_whole_whatever_the_payload_holds()
      throws Exception {
    List<Event> events =
        List.of(
            event(1, null, "{\"text\":\"a \\\"quote\\\", a tab\\t and a newline\\n\"}"),
            event(2, "c-2", "{\"name\":\"Zoë Ångström, 東京\"}"),
            event(3, "", "{\"text\":\"an emoji \uD83D\uDE00 and a lone \uD800 surrogate\"}"),
            event(4, null, "{\"control\":\"\u0001\u001f\"}"),
            event(5, null, "{\"big\":\"" + "x".repeat(EncodedEvents.LARGEST_KEPT) + "\"}"));
    EncodedEvents encoded = new EncodedEvents();

    for (int round = 0; round < 2; round++) { // written, then kept
      for (int version : new int[] {2, 3}) {
        assertThat(encoded.collection(events, version).json())
            .isEqualTo(writtenWhole(events, version));
        assertThat(encoded.collection(events.subList(2, 3), version).json())
            .isEqualTo(writtenWhole(events.subList(2, 3), version));
      }
    }
    assertThat(encoded.collection(List.of(), 3).json()).isEqualTo(writtenWhole(List.of(), 3));
  }

  @Test
  void every_poll_of_one_event_shares_the_item_written_for_the_first() {
    EncodedEvents encoded = new EncodedEvents();
    Event event = event(7, null, "{}");

    byte[] first = encoded.item(event, 3);

    assertThat(encoded.item(event, 3)).isSameAs(first);
    // The same event read back from the store (pending acknowledgement): another instance.
    assertThat(encoded.item(event(7, null, "{}"), 3)).isSameAs(first);
    assertThat(encoded.item(event, 2)).isNotSameAs(first);
    assertThat(encoded.item(event, 3)).isSameAs(first);
  }

  @Test
  void an_event_in_a_slot_another_held_gets_its_own_item() throws Exception {
    EncodedEvents encoded = new EncodedEvents();
    Event event = event(7, null, "{\"n\":1}");
    Event sameSlot = event(7 + 8192, null, "{\"n\":2}");

    byte[] first = encoded.item(event, 3);
    byte[] other = encoded.item(sameSlot, 3);

    assertThat(Json.MAPPER.readTree(other).get("payload").asText()).isEqualTo("{\"n\":2}");
    assertThat(Json.MAPPER.readTree(encoded.item(event, 3)).get("payload").asText())
        .isEqualTo("{\"n\":1}");
    assertThat(first).isNotSameAs(other);
  }

  @Test
  void an_item_over_the_size_kept_is_written_for_every_poll() {
    EncodedEvents encoded = new EncodedEvents();
    Event big = event(9, null, "{\"big\":\"" + "x".repeat(EncodedEvents.LARGEST_KEPT) + "\"}");

    assertThat(encoded.item(big, 3)).isNotSameAs(encoded.item(big, 3));
  }
}
