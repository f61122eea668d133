package io.pullroute.auth;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.pullroute.http.KnownCharset;
import io.pullroute.http.RouteTable;
import io.pullroute.http.UrlEncoding;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code POST /tokenservice/oauth2/access_token}: OAuth 2.0 client credentials and password. */
public final class TokenRoutes {
  private final AuthService auth;

  public TokenRoutes(AuthService auth) {
    this.auth = auth;
  }

  public void register(RouteTable routes) {
    routes.open(
        HandlerType.POST,
        "/tokenservice/oauth2/access_token",
        "authentication",
        "OAuth 2.0 token: grant_type client_credentials (form or Basic) or password (org_id,"
            + " username, password); RFC 6749 errors",
        this::token);
  }

  /**
   * Refuses a form with a field that is not valid percent-encoding ({@code scope=%zz}): the form
   * parser drops such a field, and a dropped scope asked for every scope of the client or user.
   */
  private static void requireValidEncoding(String form) {
    UrlEncoding.firstBadField(form)
        .ifPresent(
            name -> {
              throw OAuthError.invalidRequest(
                  "the form field " + name + " is not valid percent-encoding");
            });
  }

  private void token(Context ctx) {
    // The header as sent: the framework's contentType() fails on a charset it does not know.
    String contentType = ctx.header("Content-Type");
    if (contentType == null
        || !contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded");
    }
    if (!KnownCharset.known(contentType)) {
      // The form could not be read (a 500).
      throw OAuthError.invalidRequest("the form's charset is not one the server knows; use UTF-8");
    }
    requireValidEncoding(ctx.body());
    // RFC 6749 §3.2: a parameter is sent at most once (the parser took the first of several).
    ctx.formParamMap()
        .forEach(
            (name, values) -> {
              if (values.size() > 1) {
                throw OAuthError.invalidRequest(
                    "the form field " + name + " is given more than once");
              }
            });
    String grantType = ctx.formParam("grant_type");
    if (grantType == null || grantType.isBlank()) {
      throw OAuthError.invalidRequest("grant_type is required");
    }
    AuthService.Grant grant =
        switch (grantType) {
          case "client_credentials" -> clientCredentials(ctx);
          case "password" -> password(ctx);
          default ->
              throw OAuthError.unsupportedGrantType(
                  "grant_type '"
                      + grantType
                      + "' is not supported; use client_credentials or"
                      + " password");
        };
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", grant.accessToken());
    body.put("token_type", "Bearer");
    body.put("expires_in", grant.expiresIn());
    body.put("scope", Scopes.format(grant.scopes()));
    ctx.header("Cache-Control", "no-store");
    ctx.json(body);
  }

  private AuthService.Grant clientCredentials(Context ctx) {
    String clientId = ctx.formParam("client_id");
    String clientSecret = ctx.formParam("client_secret");
    String authorization = ctx.header("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      if (clientId != null || clientSecret != null) {
        throw OAuthError.invalidRequest(
            "give client credentials either with HTTP Basic or in the form, not both");
      }
      String[] basic = decodeBasic(authorization.substring(6).trim());
      clientId = basic[0];
      clientSecret = basic[1];
    }
    if (clientId == null || clientId.isBlank() || clientSecret == null) {
      throw OAuthError.invalidClient("client_id and client_secret are required");
    }
    return auth.clientCredentials(clientId, clientSecret, ctx.formParam("scope"));
  }

  private AuthService.Grant password(Context ctx) {
    String orgId = ctx.formParam("org_id");
    String username = ctx.formParam("username");
    String password = ctx.formParam("password");
    for (Map.Entry<String, String> parameter :
        Map.of("org_id", nullToEmpty(orgId), "username", nullToEmpty(username)).entrySet()) {
      if (parameter.getValue().isBlank()) {
        throw OAuthError.invalidRequest(parameter.getKey() + " is required");
      }
    }
    if (password == null) {
      throw OAuthError.invalidRequest("password is required");
    }
    return auth.password(orgId, username, password, ctx.formParam("scope"));
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  /** RFC 6749 §2.3.1: the id and secret are form-urlencoded inside the Basic credentials. */
  private static String[] decodeBasic(String encoded) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw OAuthError.invalidRequest("the Basic credentials are not valid base64");
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      throw OAuthError.invalidRequest("the Basic credentials must be client_id:client_secret");
    }
    try {
      return new String[] {
        java.net.URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
        java.net.URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)
      };
    } catch (IllegalArgumentException badEscape) {
      throw OAuthError.invalidRequest("the Basic credentials are not valid percent-encoding");
    }
  }
}
