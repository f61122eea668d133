package io.pullroute.admin;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;
import java.util.Set;

/**
 * Where customer requests come from. A channel in PULL mode parks its requests on {@code listId}.
 *
 * @param customerActivityTimeout seconds of customer silence after which a request is closed
 * @param agentRequestTtl seconds a request may wait for an agent
 */
public record Channel(
    String id,
    String orgId,
    String name,
    String serviceIdentifier,
    String channelType,
    String routingMode,
    String listId,
    Integer customerActivityTimeout,
    Integer agentRequestTtl,
    Instant createdAt) {

  public static final Set<String> TYPES =
      Set.of(
          "WEB",
          "EMAIL",
          "SMS",
          "FACEBOOK",
          "FACEBOOK_COMMENTS",
          "TWITTER",
          "WHATSAPP",
          "INSTAGRAM",
          "VIBER",
          "TELEGRAM",
          "WORKITEM",
          "OPENMEDIA");
  public static final Set<String> ROUTING_MODES = Set.of("PULL", "PUSH");

  public Channel {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    name = Validate.name("name", name);
    serviceIdentifier = Validate.text("serviceIdentifier", serviceIdentifier);
    if (channelType == null) {
      throw InvalidInput.required("channelType");
    }
    if (!TYPES.contains(channelType)) {
      throw new InvalidInput(
          "channelType", "unknown channelType '" + channelType + "': use one of " + sorted(TYPES));
    }
    if (routingMode == null) {
      throw InvalidInput.required("routingMode");
    }
    if (!ROUTING_MODES.contains(routingMode)) {
      throw new InvalidInput("routingMode", "routingMode must be PULL or PUSH");
    }
    if (routingMode.equals("PULL") && listId == null) {
      throw new InvalidInput("listId", "listId is required for a PULL channel");
    }
    customerActivityTimeout = Validate.seconds("customerActivityTimeout", customerActivityTimeout);
    agentRequestTtl = Validate.seconds("agentRequestTtl", agentRequestTtl);
    requireNonNull(createdAt, "createdAt");
  }

  public boolean parksOnList() {
    return routingMode.equals("PULL");
  }

  private static String sorted(Set<String> values) {
    return String.join(", ", new java.util.TreeSet<>(values));
  }
}
