package io.pullroute.streaming;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.events.Event;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The {@code filterCriteria} of a spec 003 subscription: a catalog type, event names (or {@code
 * all}) and a resource filter. Validates itself; {@link #matches} decides whether an event passes.
 *
 * @param resourceIds empty or {@code ["*"]} means every id
 */
public record FilterCriteria(
    String catalogType,
    List<String> catalogTypeEvents,
    String resourceType,
    List<String> resourceIds) {

  /** Catalog type → event category and the resource types its events are about. */
  private static final Map<String, Catalog> CATALOG_TYPES =
      Map.of(
          "engagementCenterThirdParty", new Catalog("engagementCenter", Set.of("users")),
          "changeNotification", new Catalog("changeNotification", Set.of("users", "teams")),
          "pullMode", new Catalog("pullMode", Set.of("lists")),
          "messaging", new Catalog("messaging", Set.of("conversations")),
          "outreach", new Catalog("outreach", Set.of()),
          "workbin", new Catalog("workbin", Set.of("workbins")));

  private record Catalog(String category, Set<String> resourceTypes) {}

  /**
   * How many event names or resource ids one subscription may list, and how long an id may be (as a
   * published event's resource id): a session keeps its subscriptions in memory.
   */
  static final int MAX_NAMES = 1000;

  static final int MAX_ID = 200;

  public FilterCriteria {
    catalogTypeEvents = List.copyOf(catalogTypeEvents);
    resourceIds = List.copyOf(resourceIds);
  }

  /**
   * Checks the criteria against the catalog; every failure names its field as the wire spells it
   * ({@code filterCriteria.catalogType} …).
   */
  public FilterCriteria validate(Predicate<String> knownEventType) {
    if (catalogType == null) {
      throw InvalidInput.required("filterCriteria.catalogType");
    }
    Catalog catalog = CATALOG_TYPES.get(catalogType);
    if (catalog == null) {
      throw new InvalidInput(
          "filterCriteria.catalogType",
          "unknown catalogType '"
              + catalogType
              + "': use one of "
              + String.join(", ", new java.util.TreeSet<>(CATALOG_TYPES.keySet())));
    }
    if (catalogTypeEvents.size() > MAX_NAMES) {
      throw new InvalidInput(
          "filterCriteria.catalogTypeEvents",
          "filterCriteria.catalogTypeEvents may name at most " + MAX_NAMES + " events");
    }
    if (catalogTypeEvents.isEmpty()) {
      throw new InvalidInput(
          "filterCriteria.catalogTypeEvents",
          "filterCriteria.catalogTypeEvents must name at least one event, or all");
    }
    for (int i = 0; i < catalogTypeEvents.size(); i++) {
      String name = catalogTypeEvents.get(i);
      if (!name.equals("all") && !knownEventType.test(catalog.category() + "." + name)) {
        throw new InvalidInput(
            "filterCriteria.catalogTypeEvents[" + i + "]",
            "'" + name + "' is not an event of catalogType " + catalogType);
      }
    }
    if (resourceType == null) {
      throw InvalidInput.required("filterCriteria.resources.resourceType");
    }
    if (resourceIds.size() > MAX_NAMES) {
      throw new InvalidInput(
          "filterCriteria.resources.resourceIds",
          "filterCriteria.resources.resourceIds may name at most "
              + MAX_NAMES
              + " resources; use [] or [\"*\"] for all of them");
    }
    for (int i = 0; i < resourceIds.size(); i++) {
      String id = resourceIds.get(i);
      if (id.isBlank() || id.length() > MAX_ID) {
        String field = "filterCriteria.resources.resourceIds[" + i + "]";
        throw new InvalidInput(field, field + " must be 1-" + MAX_ID + " characters");
      }
    }
    if (!resourceType.equals("*")
        && !catalog.resourceTypes().isEmpty()
        && !catalog.resourceTypes().contains(resourceType)) {
      throw new InvalidInput(
          "filterCriteria.resources.resourceType",
          "resourceType of catalogType "
              + catalogType
              + " must be * or one of "
              + String.join(", ", new java.util.TreeSet<>(catalog.resourceTypes())));
    }
    return this;
  }

  /** Whether the filter names every resource (then its ids are not looked at). */
  public boolean allResources() {
    return resourceType.equals("*")
        || resourceIds.isEmpty()
        || (resourceIds.size() == 1 && resourceIds.getFirst().equals("*"));
  }

  public String category() {
    return CATALOG_TYPES.get(requireNonNull(catalogType)).category();
  }

  public boolean matches(Event event) {
    Catalog catalog = CATALOG_TYPES.get(catalogType);
    if (catalog == null || !event.category().equals(catalog.category())) {
      return false;
    }
    if (!catalogTypeEvents.contains("all") && !catalogTypeEvents.contains(event.name())) {
      return false;
    }
    if (resourceType.equals("*")) {
      return true;
    }
    if (!resourceType.equals(event.resourceType())) {
      return false;
    }
    return allResources() || resourceIds.contains(event.resourceId());
  }
}
