package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import java.util.Set;
import java.util.function.Predicate;

/**
 * What a consumer wants from the log: events of one organization that carry one of {@code keys} (or
 * any event, with {@link Audience#organization}), and that pass {@code filter}.
 */
public record Interest(String orgId, Set<String> keys, Predicate<Event> filter) {
  public Interest {
    requireNonNull(orgId, "orgId");
    keys = Set.copyOf(keys);
    requireNonNull(filter, "filter");
  }

  public static Interest of(String orgId, Set<String> keys) {
    return new Interest(orgId, keys, event -> true);
  }

  public boolean matches(Event event) {
    if (!event.orgId().equals(orgId)) {
      return false;
    }
    boolean addressed =
        keys.contains(Audience.organization(orgId))
            || keys.contains(Audience.resource(event.resourceType(), event.resourceId()));
    if (!addressed) {
      for (String key : event.audience()) {
        if (keys.contains(key)) {
          addressed = true;
          break;
        }
      }
    }
    return addressed && filter.test(event);
  }
}
