package io.pullroute.auth;

import static java.util.Objects.requireNonNull;

import io.pullroute.common.PullrouteException;
import java.util.Set;

/**
 * Who is calling: an OAuth client (an organization's admin client, a channel connector, the
 * operator) or a user (agent, supervisor, admin) signed in with a password.
 *
 * @param orgId the organization, or null for the operator
 * @param subject the client id or the user id
 * @param username the user's name, or null for a client
 * @param roles the user's roles (empty for clients)
 * @param scopes what the token allows
 */
public record Principal(
    Kind kind,
    String orgId,
    String subject,
    String username,
    Set<String> roles,
    Set<String> scopes) {

  public enum Kind {
    CLIENT,
    USER
  }

  public Principal {
    requireNonNull(kind, "kind");
    requireNonNull(subject, "subject");
    roles = Set.copyOf(roles);
    scopes = Set.copyOf(scopes);
  }

  public boolean isUser() {
    return kind == Kind.USER;
  }

  /**
   * Refuses a client on a call of signed-in users: {@code what} (such as "workbins") belongs to
   * them. Checked before a body is read, so a client is told 403, not what is wrong with its body.
   */
  public void requireUser(String what) {
    if (!isUser()) {
      throw new PullrouteException.Forbidden(
          what + " belong to signed-in users (password grant), not clients");
    }
  }

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** A key for per-principal limits: unique across organizations. */
  public String key() {
    return kind + ":" + orgId + ":" + subject;
  }
}
