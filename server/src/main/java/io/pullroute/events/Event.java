package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Set;

/**
 * An event in the log.
 *
 * @param seq its place in commit order, gap-free
 * @param id {@code <epoch ms>-<n>}, increasing with {@code seq}
 */
public record Event(
    long seq,
    String id,
    String orgId,
    String type,
    String resourceType,
    String resourceId,
    Set<String> audience,
    String correlationId,
    String payload,
    Instant createdAt) {

  public Event {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    requireNonNull(type, "type");
    audience = Set.copyOf(audience);
    requireNonNull(payload, "payload");
    requireNonNull(createdAt, "createdAt");
  }

  /** The catalog category: the part of the type before the dot ({@code pullMode}, …). */
  public String category() {
    int dot = type.indexOf('.');
    return dot < 0 ? type : type.substring(0, dot);
  }

  /** The name within the category: the part after the dot ({@code ListRequestReceived}). */
  public String name() {
    int dot = type.indexOf('.');
    return dot < 0 ? type : type.substring(dot + 1);
  }
}
