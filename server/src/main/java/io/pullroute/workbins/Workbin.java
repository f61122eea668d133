package io.pullroute.workbins;

import static java.util.Objects.requireNonNull;

/**
 * A workbin: a list owned by an agent group or place group (its id is the list's), or an agent's
 * own workbin (its id is the agent's user id).
 *
 * @param group the owning group's name, or null for an agent's own workbin
 */
public record Workbin(String id, String name, Type type, String group) {

  /** Workbin types as the Genesys API names them. */
  public enum Type {
    Agent,
    AgentGroup,
    PlaceGroup
  }

  public Workbin {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(type, "type");
  }

  public boolean isGroup() {
    return type != Type.Agent;
  }
}
