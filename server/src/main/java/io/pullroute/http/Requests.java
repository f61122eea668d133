package io.pullroute.http;

import io.javalin.http.Context;
import io.pullroute.auth.Principal;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.Unauthenticated;

/** What the request pipeline leaves on a request for handlers to use. */
public final class Requests {
  static final String PRINCIPAL = "pullroute.principal";
  static final String CORRELATION_ID = "pullroute.correlationId";

  private Requests() {}

  /** The authenticated caller. */
  public static Principal principal(Context ctx) {
    Principal principal = ctx.attribute(PRINCIPAL);
    if (principal == null) {
      throw new Unauthenticated("authentication required");
    }
    return principal;
  }

  /** The caller, who must belong to an organization and hold {@code scope}; returns the org id. */
  public static String orgWithScope(Context ctx, String scope) {
    return orgWithScope(principal(ctx), scope);
  }

  /** As {@link #orgWithScope(Context, String)}, for a caller already known. */
  public static String orgWithScope(Principal principal, String scope) {
    if (principal.orgId() == null) {
      throw new Forbidden("this call needs a token of an organization");
    }
    if (!principal.hasScope(scope)) {
      throw new Forbidden("this call needs scope '" + scope + "'");
    }
    return principal.orgId();
  }

  /** The caller's organization; any scope. */
  public static String org(Context ctx) {
    return org(principal(ctx));
  }

  /** As {@link #org(Context)}, for a caller already known. */
  public static String org(Principal principal) {
    if (principal.orgId() == null) {
      throw new Forbidden("this call needs a token of an organization");
    }
    return principal.orgId();
  }

  /** The correlation id of the request: its {@code X-Correlation-Id}, or one made for it. */
  public static String correlationId(Context ctx) {
    String id = ctx.attribute(CORRELATION_ID);
    return id == null ? "" : id;
  }
}
