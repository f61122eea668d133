package io.pullroute.auth;

import io.pullroute.common.PullrouteException;

/** A token-endpoint failure, answered with an RFC 6749 error body instead of an ErrorResponse. */
public final class OAuthError extends PullrouteException {
  private final int status;

  private OAuthError(int status, String error, String description) {
    super(description, "oauth", error);
    this.status = status;
  }

  /** The RFC 6749 {@code error} code. */
  public String error() {
    return reason();
  }

  public int status() {
    return status;
  }

  static OAuthError invalidRequest(String description) {
    return new OAuthError(400, "invalid_request", description);
  }

  static OAuthError invalidClient(String description) {
    return new OAuthError(401, "invalid_client", description);
  }

  static OAuthError invalidGrant(String description) {
    return new OAuthError(400, "invalid_grant", description);
  }

  static OAuthError unsupportedGrantType(String description) {
    return new OAuthError(400, "unsupported_grant_type", description);
  }

  static OAuthError invalidScope(String description) {
    return new OAuthError(400, "invalid_scope", description);
  }
}
