package io.pullroute.admin;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;
import java.util.List;

/** A group of places (desks); the agents at those places share its workbin. */
public record PlaceGroup(
    String id, String orgId, String name, List<String> places, Instant createdAt) {
  public PlaceGroup {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    name = Validate.name("name", name);
    places = List.copyOf(places);
    for (int i = 0; i < places.size(); i++) {
      if (places.get(i).isBlank()) {
        throw new InvalidInput("places[" + i + "]", "places[" + i + "] must not be blank");
      }
    }
    requireNonNull(createdAt, "createdAt");
  }
}
