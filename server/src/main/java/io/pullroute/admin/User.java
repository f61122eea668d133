package io.pullroute.admin;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.Instant;
import java.util.Set;

/** A person who signs in: an agent, a supervisor or an administrator. */
public record User(
    String id,
    String orgId,
    String username,
    String firstName,
    String lastName,
    Set<String> roles,
    String place,
    Instant createdAt) {

  public static final Set<String> ROLES = Set.of("agent", "supervisor", "admin");

  public User {
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    username = Validate.username(username);
    firstName = Validate.text("firstName", firstName);
    lastName = Validate.text("lastName", lastName);
    place = Validate.text("place", place);
    roles = Set.copyOf(roles);
    if (roles.isEmpty()) {
      throw new InvalidInput("roles", "roles must name at least one of agent, supervisor, admin");
    }
    for (String role : roles) {
      if (!ROLES.contains(role)) {
        throw new InvalidInput(
            "roles", "unknown role '" + role + "': use agent, supervisor or admin");
      }
    }
    requireNonNull(createdAt, "createdAt");
  }
}
