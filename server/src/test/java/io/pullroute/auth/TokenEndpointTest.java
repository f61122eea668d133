package io.pullroute.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code POST /tokenservice/oauth2/access_token}: both grants and every RFC 6749 error. */
@ParameterizedClass
@EnumSource(StoreKind.class)
class TokenEndpointTest {
  @Parameter StoreKind store;

  private static TestServer server;
  private static ApiClient http;
  private static Org org;
  private static String adminClientId;
  private static String adminSecret;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    http = server.http();
    Response created =
        http.post("/api/v1/organizations", http.operatorToken(), Map.of("orgId", "tokens"));
    adminClientId = created.json().at("/adminClient/clientId").asText();
    adminSecret = created.json().at("/adminClient/clientSecret").asText();
    org =
        new Org(
            "tokens",
            created.json().get("apiKey").asText(),
            http.clientToken(adminClientId, adminSecret));
    Response user =
        http.post(
            "/api/v1/users",
            org.adminToken(),
            Map.of(
                "username", "alice", "password", "s3cret!", "roles", java.util.List.of("agent")));
    assertThat(user.status()).isEqualTo(201);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static Map<String, String> form(String... pairs) {
    Map<String, String> form = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      form.put(pairs[i], pairs[i + 1]);
    }
    return form;
  }

  /** The form fields of a client-credentials grant for the admin client. */
  private static String adminCredentials() {
    return "grant_type=client_credentials&client_id="
        + adminClientId
        + "&client_secret="
        + adminSecret;
  }

  /**
   * A raw request to the token endpoint: {@code body} as given, with {@code contentType}, and Basic
   * credentials when {@code basic} is not null.
   */
  private Response tokenRequest(String contentType, String basic, String body) {
    HttpRequest.Builder request =
        http.request("/tokenservice/oauth2/access_token").header("Content-Type", contentType);
    if (basic != null) {
      request.header("Authorization", "Basic " + basic);
    }
    return http.send(request.POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static void assertOAuthError(Response response, int status, String error) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.json().get("error").asText()).isEqualTo(error);
    assertThat(response.json().get("error_description").asText()).isNotBlank();
  }

  @Test
  void client_credentials_in_the_form_grant_a_bearer_token() {
    Response response =
        http.token(
            form(
                "grant_type", "client_credentials",
                "client_id", adminClientId,
                "client_secret", adminSecret));
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().get("token_type").asText()).isEqualTo("Bearer");
    assertThat(response.json().get("expires_in").asLong()).isEqualTo(3600);
    assertThat(response.json().get("scope").asText())
        .isEqualTo("admin channel publish streamingapi");
    String token = response.json().get("access_token").asText();
    assertThat(token.split("\\.")).hasSize(3);
    assertThat(http.get("/api/v1/me", token).json().get("orgId").asText()).isEqualTo("tokens");
  }

  @Test
  void client_credentials_with_http_basic_grant_a_token() {
    String basic =
        Base64.getEncoder()
            .encodeToString((adminClientId + ":" + adminSecret).getBytes(StandardCharsets.UTF_8));
    Response response =
        tokenRequest("application/x-www-form-urlencoded", basic, "grant_type=client_credentials");
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().get("access_token").asText()).isNotBlank();
  }

  @Test
  void a_requested_scope_narrows_the_token() {
    Response response =
        http.token(
            form(
                "grant_type",
                "client_credentials",
                "client_id",
                adminClientId,
                "client_secret",
                adminSecret,
                "scope",
                "streamingapi"));
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().get("scope").asText()).isEqualTo("streamingapi");
    String narrow = response.json().get("access_token").asText();
    assertThat(http.get("/api/v1/users", narrow).status()).isEqualTo(403);
  }

  @Test
  void a_scope_the_client_does_not_have_is_invalid_scope() {
    assertOAuthError(
        http.token(
            form(
                "grant_type",
                "client_credentials",
                "client_id",
                adminClientId,
                "client_secret",
                adminSecret,
                "scope",
                "operator")),
        400,
        "invalid_scope");
  }

  @Test
  void a_wrong_client_secret_is_invalid_client() {
    Response response =
        http.token(
            form(
                "grant_type", "client_credentials",
                "client_id", adminClientId,
                "client_secret", "wrong"));
    assertOAuthError(response, 401, "invalid_client");
    assertThat(response.header("WWW-Authenticate")).startsWith("Basic");
  }

  @Test
  void an_unknown_client_is_invalid_client() {
    assertOAuthError(
        http.token(
            form("grant_type", "client_credentials", "client_id", "nobody", "client_secret", "x")),
        401,
        "invalid_client");
  }

  @Test
  void client_credentials_without_credentials_are_invalid_client() {
    assertOAuthError(http.token(form("grant_type", "client_credentials")), 401, "invalid_client");
  }

  @Test
  void credentials_in_both_basic_and_form_are_an_invalid_request() {
    String basic =
        Base64.getEncoder()
            .encodeToString((adminClientId + ":" + adminSecret).getBytes(StandardCharsets.UTF_8));
    Response response =
        tokenRequest(
            "application/x-www-form-urlencoded",
            basic,
            "grant_type=client_credentials&client_id=" + adminClientId);
    assertOAuthError(response, 400, "invalid_request");
  }

  /**
   * Before, the form parser dropped scope=%zz, and the grant had every scope of the client; and it
   * read %ff, which is no UTF-8, as U+FFFD.
   */
  @Test
  void a_field_that_is_not_valid_percent_encoding_is_an_invalid_request() {
    for (String scope : List.of("%zz", "%ff")) {
      Response response =
          tokenRequest(
              "application/x-www-form-urlencoded", null, adminCredentials() + "&scope=" + scope);
      assertOAuthError(response, 400, "invalid_request");
      assertThat(response.json().get("error_description").asText()).contains("scope");
    }
  }

  /** RFC 6749 §2.3.1 form-encodes the Basic credentials; before, a bad escape there was a 500. */
  @Test
  void basic_credentials_that_are_not_valid_percent_encoding_are_an_invalid_request() {
    String basic =
        Base64.getEncoder()
            .encodeToString((adminClientId + ":%zz").getBytes(StandardCharsets.UTF_8));
    Response response =
        tokenRequest("application/x-www-form-urlencoded", basic, "grant_type=client_credentials");
    assertOAuthError(response, 400, "invalid_request");
  }

  /** RFC 6749 §3.2: a parameter is sent at most once. Before, the first of several was taken. */
  @Test
  void a_field_given_twice_is_an_invalid_request() {
    Response response =
        tokenRequest(
            "application/x-www-form-urlencoded",
            null,
            adminCredentials() + "&scope=streamingapi&scope=admin");
    assertOAuthError(response, 400, "invalid_request");
    assertThat(response.json().get("error_description").asText()).contains("scope");
  }

  /** Before, a 500: the form could not be read. */
  @Test
  void a_form_in_a_charset_the_server_does_not_know_is_an_invalid_request() {
    Response response =
        tokenRequest("application/x-www-form-urlencoded; charset=nope", null, adminCredentials());
    assertOAuthError(response, 400, "invalid_request");
  }

  @Test
  void a_missing_grant_type_is_an_invalid_request() {
    assertOAuthError(http.token(form("client_id", adminClientId)), 400, "invalid_request");
  }

  @Test
  void a_body_that_is_not_a_form_is_an_invalid_request() {
    Response response = tokenRequest("application/json", null, "{\"grant_type\":\"password\"}");
    assertOAuthError(response, 400, "invalid_request");
  }

  @Test
  void an_unknown_grant_type_is_unsupported_grant_type() {
    assertOAuthError(
        http.token(form("grant_type", "authorization_code", "code", "x")),
        400,
        "unsupported_grant_type");
  }

  @Test
  void the_password_grant_signs_in_a_user_with_their_roles() {
    String token = http.userToken("tokens", "alice", "s3cret!");
    Response me = http.get("/api/v1/me", token);
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().get("username").asText()).isEqualTo("alice");
    assertThat(me.json().get("orgId").asText()).isEqualTo("tokens");
    assertThat(me.json().get("roles").get(0).asText()).isEqualTo("agent");
    assertThat(me.json().get("id").asText()).isNotBlank();
  }

  @Test
  void a_wrong_password_is_invalid_grant() {
    assertOAuthError(
        http.token(
            form(
                "grant_type", "password",
                "org_id", "tokens",
                "username", "alice",
                "password", "wrong")),
        400,
        "invalid_grant");
  }

  @Test
  void an_unknown_user_or_organization_is_invalid_grant() {
    assertOAuthError(
        http.token(
            form("grant_type", "password", "org_id", "tokens", "username", "bob", "password", "x")),
        400,
        "invalid_grant");
    assertOAuthError(
        http.token(
            form(
                "grant_type", "password",
                "org_id", "elsewhere",
                "username", "alice",
                "password", "s3cret!")),
        400,
        "invalid_grant");
  }

  @Test
  void a_password_grant_without_org_id_or_username_is_an_invalid_request() {
    assertOAuthError(
        http.token(form("grant_type", "password", "username", "alice", "password", "s3cret!")),
        400,
        "invalid_request");
    assertOAuthError(
        http.token(form("grant_type", "password", "org_id", "tokens", "password", "s3cret!")),
        400,
        "invalid_request");
    assertOAuthError(
        http.token(form("grant_type", "password", "org_id", "tokens", "username", "alice")),
        400,
        "invalid_request");
  }

  @Test
  void a_missing_or_malformed_bearer_token_is_a_401() {
    Response missing = http.get("/api/v1/me", null);
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.json().get("code").asInt()).isEqualTo(401);
    assertThat(http.get("/api/v1/me", "not-a-jwt").status()).isEqualTo(401);
    Response basic =
        http.send(http.request("/api/v1/me").header("Authorization", "Basic eDp5").GET());
    assertThat(basic.status()).isEqualTo(401);
  }

  @Test
  void a_token_with_a_forged_signature_is_a_401() {
    String token = http.clientToken(adminClientId, adminSecret);
    String[] parts = token.split("\\.");
    String forged = parts[0] + "." + parts[1] + "." + "A".repeat(parts[2].length());
    assertThat(http.get("/api/v1/me", forged).status()).isEqualTo(401);
  }

  @Test
  void a_token_past_its_expiry_is_a_401() {
    String token = http.clientToken(adminClientId, adminSecret);
    assertThat(http.get("/api/v1/me", token).status()).isEqualTo(200);
    server.clock().advance(Duration.ofSeconds(3601));
    Response expired = http.get("/api/v1/me", token);
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.json().get("message").asText()).contains("expired");
  }

  @Test
  void a_token_without_the_admin_scope_is_a_403_on_the_administration_api() {
    String agent = http.userToken("tokens", "alice", "s3cret!");
    Response response = http.post("/api/v1/lists", agent, Map.of("name", "Nope"));
    assertThat(response.status()).isEqualTo(403);
    assertThat(response.json().get("code").asInt()).isEqualTo(403);
  }

  /**
   * A new token of the organization's admin client: the one the organization was set up with may
   * have expired, in a test that moved the clock past it.
   */
  private static String admin() {
    return http.clientToken(adminClientId, adminSecret);
  }

  /** Creates a user of the organization; answers its id. */
  private static String user(String username, String... roles) {
    Response created =
        http.post(
            "/api/v1/users",
            admin(),
            Map.of("username", username, "password", "pw-" + username, "roles", List.of(roles)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return created.json().get("id").asText();
  }

  @Test
  void the_token_of_a_user_deleted_since_it_was_granted_is_a_401() {
    String id = user("carol", "agent");
    String token = http.userToken("tokens", "carol", "pw-carol");
    assertThat(http.get("/api/v1/me", token).status()).isEqualTo(200);

    assertThat(http.delete("/api/v1/users/" + id, admin()).status()).isEqualTo(204);

    Response refused = http.get("/api/v1/me", token);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
    assertThat(refused.json().get("message").asText()).contains("no longer exists");
  }

  @Test
  void a_token_granted_before_its_users_roles_changed_is_a_401_and_a_new_one_has_the_new_roles() {
    String id = user("dave", "agent", "admin");
    String before = http.userToken("tokens", "dave", "pw-dave");
    assertThat(http.get("/api/v1/users", before).status()).isEqualTo(200);

    Response changed =
        http.patch("/api/v1/users/" + id, admin(), Map.of("roles", List.of("agent")));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);

    Response refused = http.get("/api/v1/users", before);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
    assertThat(refused.json().get("message").asText()).contains("roles");
    String after = http.userToken("tokens", "dave", "pw-dave");
    assertThat(http.get("/api/v1/users", after).status()).isEqualTo(403);
    assertThat(http.get("/api/v1/me", after).status()).isEqualTo(200);
  }

  @Test
  void a_token_granted_before_its_users_password_changed_is_a_401_and_other_changes_keep_it() {
    String id = user("erin", "agent");
    String before = http.userToken("tokens", "erin", "pw-erin");
    Response renamed = http.patch("/api/v1/users/" + id, admin(), Map.of("firstName", "Erin"));
    assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
    assertThat(http.get("/api/v1/me", before).status()).as("after a change of name").isEqualTo(200);

    Response changed =
        http.patch("/api/v1/users/" + id, admin(), Map.of("password", "new-pw-erin"));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);

    Response refused = http.get("/api/v1/me", before);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
    assertThat(refused.json().get("message").asText()).contains("password");
    String after = http.userToken("tokens", "erin", "new-pw-erin");
    assertThat(http.get("/api/v1/me", after).status()).isEqualTo(200);
  }
}
