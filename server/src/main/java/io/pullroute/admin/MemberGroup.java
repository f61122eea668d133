package io.pullroute.admin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * A named group of users: a team, or an agent group (a list an agent group owns is its workbin).
 * {@code members} are user ids.
 */
public record MemberGroup(
    Kind kind,
    String id,
    String orgId,
    String name,
    String description,
    List<String> members,
    Instant createdAt) {

  /** The two kinds of user groups; they behave alike and are administered alike. */
  public enum Kind {
    TEAM("team"),
    AGENT_GROUP("agent group");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  public MemberGroup {
    requireNonNull(kind, "kind");
    requireNonNull(id, "id");
    requireNonNull(orgId, "orgId");
    name = Validate.name("name", name);
    description = Validate.text("description", description);
    members = List.copyOf(members);
    requireNonNull(createdAt, "createdAt");
  }
}
