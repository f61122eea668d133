package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * An event a command produces, before the log gives it a place ({@code seq}) and an id.
 *
 * @param type the catalog type, such as {@code pullMode.ListRequestReceived}
 * @param resourceType what the event is about ({@code lists}, {@code conversations}, {@code users})
 * @param resourceId the id of that resource
 * @param audience the audience keys of {@link Audience} whose sessions receive it
 * @param payload the payload as a JSON document
 */
public record EventDraft(
    String type, String resourceType, String resourceId, Set<String> audience, String payload) {
  public EventDraft {
    requireNonNull(type, "type");
    requireNonNull(resourceType, "resourceType");
    requireNonNull(resourceId, "resourceId");
    audience = Set.copyOf(audience);
    requireNonNull(payload, "payload");
  }
}
