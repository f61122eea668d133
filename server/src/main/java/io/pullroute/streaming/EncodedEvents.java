package io.pullroute.streaming;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.pullroute.events.Event;
import io.pullroute.http.FastRoute;
import io.pullroute.http.Json;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Poll answers, written from each event's item, which is written to JSON once for all the polls
 * that receive it.
 *
 * <p>The hub hands one event to every session it concerns: an event on a list with 100 subscribers
 * was turned into a map and written out 100 times, its payload string escaped character by
 * character each time. Under the {@code intake} benchmark that was most of the server's CPU outside
 * its JIT compilers. Now the first poll writes the item and keeps its bytes in a slot of a small
 * table, chosen by the event's {@code seq} and the API version; the others copy them. An event's
 * {@code seq} names it within the store this server uses, and its item depends on nothing else, so
 * an event read back from the store (pending acknowledgement) shares the item of the hub's copy.
 * Items over {@link #LARGEST_KEPT} bytes are written anew for every poll, so that the table holds
 * at most {@code SLOTS × LARGEST_KEPT} bytes.
 *
 * <p>The bytes are Jackson's, as every other answer's: characters outside the BMP and lone
 * surrogates are written as {@code \}{@code u} escapes, so the answer is the one a client got
 * before this table existed, byte for byte (EncodedEventsTest).
 *
 * <p>Thread-safe without a lock: a slot is an immutable record, safely published through its final
 * fields, and read once; two polls that miss at once each write the item and one of them keeps it.
 */
final class EncodedEvents {
  /** A power of two; half of it per API version, a span of events sessions mostly poll within. */
  private static final int SLOTS = 8192;

  /** The largest item kept; a larger one is written for each poll, as all were before. */
  static final int LARGEST_KEPT = 8 * 1024;

  private static final byte[] HEAD =
      "{\"kind\":\"via#streamingEventCollection\",\"totalItems\":"
          .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENTS = ",\"events\":[".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TAIL = "]}".getBytes(StandardCharsets.US_ASCII);

  private record Slot(long seq, int version, byte[] item) {}

  private final Slot[] slots = new Slot[SLOTS];

  /** The answer of a version {@code version} poll that hands out {@code events}. */
  FastRoute.Written collection(List<Event> events, int version) {
    byte[][] items = new byte[events.size()][];
    byte[] total = Integer.toString(items.length).getBytes(StandardCharsets.US_ASCII);
    int length = HEAD.length + total.length + EVENTS.length + Math.max(0, items.length - 1);
    for (int i = 0; i < items.length; i++) {
      items[i] = item(events.get(i), version);
      length += items[i].length;
    }
    byte[] answer = new byte[length + TAIL.length];
    int at = put(answer, 0, HEAD);
    at = put(answer, at, total);
    at = put(answer, at, EVENTS);
    for (int i = 0; i < items.length; i++) {
      if (i > 0) {
        answer[at++] = ',';
      }
      at = put(answer, at, items[i]);
    }
    put(answer, at, TAIL);
    return new FastRoute.Written(answer);
  }

  /** Copies {@code bytes} into {@code answer} at {@code at}; returns where they end. */
  private static int put(byte[] answer, int at, byte[] bytes) {
    System.arraycopy(bytes, 0, answer, at, bytes.length);
    return at + bytes.length;
  }

  /** The item of {@code event} in the answer of a version {@code version} poll, as JSON. */
  byte[] item(Event event, int version) {
    int index = (int) (((event.seq() << 1) | (version & 1)) & (SLOTS - 1));
    Slot slot = slots[index];
    if (slot != null && slot.seq == event.seq() && slot.version == version) {
      return slot.item;
    }
    byte[] item = write(event, version);
    if (item.length <= LARGEST_KEPT) {
      slots[index] = new Slot(event.seq(), version, item);
    }
    return item;
  }

  private static byte[] write(Event event, int version) {
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
    try {
      return Json.MAPPER.writeValueAsBytes(item);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
