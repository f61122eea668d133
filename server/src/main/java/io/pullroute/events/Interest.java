package io.pullroute.events;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a consumer wants from the log: events of one organization that carry one of {@code keys} (or
 * any event, with {@link Audience#organization}), and that pass {@code filter}. Immutable.
 */
public final class Interest {
  private final String orgId;
  private final Set<String> keys;
  private final Predicate<Event> filter;

  /** Whether {@code keys} holds the organization's key. */
  private final boolean wholeOrganization;

  /**
   * The {@link Audience#resource} keys among {@code keys}, as resource ids by resource type, so an
   * event is matched on its resource without building its key: {@link #matches} runs for every
   * waiting poll an event may concern.
   */
  private final Map<String, Set<String>> resourceIds;

  public Interest(String orgId, Set<String> keys, Predicate<Event> filter) {
    this.orgId = requireNonNull(orgId, "orgId");
    this.keys = Set.copyOf(keys);
    this.filter = requireNonNull(filter, "filter");
    this.wholeOrganization = this.keys.contains(Audience.organization(orgId));
    this.resourceIds = resourceIds(this.keys);
  }

  public static Interest of(String orgId, Set<String> keys) {
    return new Interest(orgId, keys, event -> true);
  }

  public String orgId() {
    return orgId;
  }

  public Set<String> keys() {
    return keys;
  }

  public Predicate<Event> filter() {
    return filter;
  }

  public boolean matches(Event event) {
    if (!event.orgId().equals(orgId)) {
      return false;
    }
    // String.valueOf: as the key would spell a missing type or id.
    boolean addressed =
        wholeOrganization
            || resourceIds
                .getOrDefault(String.valueOf(event.resourceType()), Set.of())
                .contains(String.valueOf(event.resourceId()));
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

  /**
   * Every (type, id) with {@code Audience.resource(type, id)} among {@code keys}. A type or an id
   * may hold a colon, so each key is split at each of its colons: exactly the pairs whose key it
   * is.
   */
  private static Map<String, Set<String>> resourceIds(Set<String> keys) {
    Map<String, Set<String>> byType = new HashMap<>();
    for (String key : keys) {
      if (!key.startsWith(Audience.RESOURCE)) {
        continue;
      }
      String resource = key.substring(Audience.RESOURCE.length());
      for (int colon = resource.indexOf(':');
          colon >= 0;
          colon = resource.indexOf(':', colon + 1)) {
        byType
            .computeIfAbsent(resource.substring(0, colon), type -> new HashSet<>())
            .add(resource.substring(colon + 1));
      }
    }
    return Map.copyOf(byType);
  }

  @Override
  public String toString() {
    return "Interest[orgId=" + orgId + ", keys=" + keys + "]";
  }
}
