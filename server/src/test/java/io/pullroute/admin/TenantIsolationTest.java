package io.pullroute.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tenancy (DESIGN.md §4.1): a token of organization B can never read, change, delete or refer to
 * anything of organization A, and names are unique per organization only. Runs once on H2 and once
 * on PostgreSQL.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class TenantIsolationTest {
  private static final String USERS = "/api/v1/users";
  private static final String TEAMS = "/api/v1/teams";
  private static final String AGENT_GROUPS = "/api/v1/agent-groups";
  private static final String PLACE_GROUPS = "/api/v1/place-groups";
  private static final String LISTS = "/api/v1/lists";
  private static final String CHANNELS = "/api/v1/channels";
  private static final List<String> RESOURCES =
      List.of(USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS);
  private static final AtomicInteger ORGS = new AtomicInteger();

  @Parameter StoreKind store;

  static TestServer server;
  static ApiClient http;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    http = server.http();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (server != null) {
      server.close();
    }
    server = null;
    http = null;
  }

  /** One of every admin resource in an organization, as created. */
  private record Estate(Org org, Map<String, JsonNode> byPath) {
    String id(String path) {
      return byPath.get(path).get("id").asText();
    }
  }

  /**
   * A user (who can sign in), a team and an agent group with that user, a place group, a list owned
   * by the agent group, and a PULL channel onto the list; the same names in every organization.
   */
  private static Estate estate(Org org) {
    Map<String, JsonNode> byPath = new LinkedHashMap<>();
    JsonNode user =
        created(
            http.post(
                USERS,
                org.adminToken(),
                Map.of(
                    "username", "agent1",
                    "password", "agent1-pass",
                    "firstName", "Ada",
                    "roles", List.of("agent"))));
    byPath.put(USERS, user);
    String userId = user.get("id").asText();
    byPath.put(
        TEAMS,
        created(
            http.post(
                TEAMS, org.adminToken(), Map.of("name", "Blue", "members", List.of(userId)))));
    byPath.put(
        AGENT_GROUPS,
        created(
            http.post(
                AGENT_GROUPS,
                org.adminToken(),
                Map.of("name", "Support Team", "members", List.of(userId)))));
    byPath.put(
        PLACE_GROUPS,
        created(
            http.post(
                PLACE_GROUPS,
                org.adminToken(),
                Map.of("name", "Front Desk", "places", List.of("desk-1")))));
    JsonNode list =
        created(
            http.post(
                LISTS,
                org.adminToken(),
                Map.of(
                    "name", "Support", "description", "first line", "agentGroup", "Support Team")));
    byPath.put(LISTS, list);
    byPath.put(
        CHANNELS,
        created(
            http.post(
                CHANNELS,
                org.adminToken(),
                Map.of(
                    "name",
                    "web",
                    "channelType",
                    "WEB",
                    "listId",
                    list.get("id").asText(),
                    "customerActivityTimeout",
                    300))));
    return new Estate(org, byPath);
  }

  // ---- B cannot touch A's resources

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void another_organization_gets_404_on_get_patch_and_delete_and_changes_nothing(String path) {
    Estate a = estate(newOrg());
    Org b = newOrg();
    String id = a.id(path);
    String label = label(path);

    Response get = http.get(path + "/" + id, b.adminToken());
    assertError(get, 404, label, "notFound");
    assertThat(get.body()).doesNotContain(a.org().orgId());

    Response patch = http.patch(path + "/" + id, b.adminToken(), hijack(path));
    assertError(patch, 404, label, "notFound");

    Response delete = http.delete(path + "/" + id, b.adminToken());
    assertError(delete, 404, label, "notFound");

    Response listed = http.get(path, b.adminToken());
    assertThat(listed.status()).isEqualTo(200);
    assertThat(ids(listed.json())).doesNotContain(id);

    Response still = http.get(path + "/" + id, a.org().adminToken());
    assertThat(still.status()).as(still.toString()).isEqualTo(200);
    assertThat(still.json()).isEqualTo(a.byPath().get(path));
  }

  @Test
  void another_organizations_lists_are_empty_of_everything_of_a() {
    Estate a = estate(newOrg());
    Org b = newOrg();

    for (String path : RESOURCES) {
      Response listed = http.get(path, b.adminToken());
      assertThat(listed.status()).as(path).isEqualTo(200);
      assertThat(listed.json()).as(path).isEmpty();
      assertThat(ids(http.get(path, a.org().adminToken()).json()))
          .as(path)
          .containsExactly(a.id(path));
    }
  }

  @Test
  void deleting_a_resource_of_another_organization_that_is_in_use_is_still_a_404() {
    Estate a = estate(newOrg());
    Org b = newOrg();

    // A's list is referenced by A's channel and A's agent group owns a list: for A these would be
    // 409, but B must not learn that they exist.
    assertError(http.delete(LISTS + "/" + a.id(LISTS), b.adminToken()), 404, "list", "notFound");
    assertError(
        http.delete(AGENT_GROUPS + "/" + a.id(AGENT_GROUPS), b.adminToken()),
        404,
        "agent group",
        "notFound");
  }

  @Test
  void a_user_token_of_another_organization_cannot_read_a_list_of_a() {
    Estate a = estate(newOrg());
    Estate b = estate(newOrg());
    String agentOfB = http.userToken(b.org().orgId(), "agent1", "agent1-pass");

    assertError(http.get(LISTS + "/" + a.id(LISTS), agentOfB), 404, "list", "notFound");
    assertThat(ids(http.get(LISTS, agentOfB).json())).containsExactly(b.id(LISTS));
  }

  // ---- B cannot refer to A's resources

  @Test
  void a_channel_onto_a_list_of_another_organization_is_a_400_naming_listId() {
    Estate a = estate(newOrg());
    Org b = newOrg();

    Response response =
        http.post(
            CHANNELS,
            b.adminToken(),
            Map.of("name", "web", "channelType", "WEB", "listId", a.id(LISTS)));

    assertError(response, 400, "listId", "invalid");
    assertThat(http.get(CHANNELS, b.adminToken()).json()).isEmpty();
  }

  @Test
  void patching_a_channel_onto_a_list_of_another_organization_is_a_400_naming_listId() {
    Estate a = estate(newOrg());
    Estate b = estate(newOrg());
    String channelOfB = b.id(CHANNELS);

    Response response =
        http.patch(
            CHANNELS + "/" + channelOfB, b.org().adminToken(), Map.of("listId", a.id(LISTS)));

    assertError(response, 400, "listId", "invalid");
    assertThat(http.get(CHANNELS + "/" + channelOfB, b.org().adminToken()).json())
        .isEqualTo(b.byPath().get(CHANNELS));
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void a_group_with_a_user_of_another_organization_is_a_400_naming_the_member(String path) {
    Estate a = estate(newOrg());
    Org b = newOrg();

    Response response =
        http.post(path, b.adminToken(), Map.of("name", "Stolen", "members", List.of(a.id(USERS))));

    assertError(response, 400, "members[0]", "invalid");
    assertThat(http.get(path, b.adminToken()).json()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void patching_a_group_to_a_user_of_another_organization_is_a_400(String path) {
    Estate a = estate(newOrg());
    Estate b = estate(newOrg());
    String groupOfB = b.id(path);

    Response response =
        http.patch(
            path + "/" + groupOfB,
            b.org().adminToken(),
            Map.of("members", List.of(b.id(USERS), a.id(USERS))));

    assertError(response, 400, "members[1]", "invalid");
    assertThat(http.get(path + "/" + groupOfB, b.org().adminToken()).json())
        .isEqualTo(b.byPath().get(path));
  }

  @Test
  void a_list_owned_by_an_agent_group_only_another_organization_has_is_a_400_naming_agentGroup() {
    Estate a = estate(newOrg());
    Org b = newOrg();
    String nameOnlyInA = a.byPath().get(AGENT_GROUPS).get("name").asText();

    Response response =
        http.post(LISTS, b.adminToken(), Map.of("name", "Mine", "agentGroup", nameOnlyInA));

    assertError(response, 400, "agentGroup", "invalid");
    assertThat(http.get(LISTS, b.adminToken()).json()).isEmpty();
  }

  @Test
  void a_list_owned_by_a_place_group_only_another_organization_has_is_a_400_naming_placeGroup() {
    Estate a = estate(newOrg());
    Org b = newOrg();
    String nameOnlyInA = a.byPath().get(PLACE_GROUPS).get("name").asText();

    Response response =
        http.post(LISTS, b.adminToken(), Map.of("name", "Mine", "placeGroup", nameOnlyInA));

    assertError(response, 400, "placeGroup", "invalid");
  }

  @Test
  void a_list_owned_by_a_group_name_both_organizations_have_is_owned_by_its_own_group() {
    Estate a = estate(newOrg());
    Estate b = estate(newOrg());

    // Deleting B's owning group is refused because of B's list, and A's group is unaffected.
    assertError(
        http.delete(AGENT_GROUPS + "/" + b.id(AGENT_GROUPS), b.org().adminToken()),
        409,
        "agent group",
        "conflict");
    // Releasing A's list lets A delete A's group, while B's list keeps B's group.
    Map<String, Object> release = new LinkedHashMap<>();
    release.put("agentGroup", null);
    assertThat(http.patch(LISTS + "/" + a.id(LISTS), a.org().adminToken(), release).status())
        .isEqualTo(200);
    assertThat(http.delete(AGENT_GROUPS + "/" + a.id(AGENT_GROUPS), a.org().adminToken()).status())
        .isEqualTo(204);
    JsonNode listOfB = http.get(LISTS + "/" + b.id(LISTS), b.org().adminToken()).json();
    assertThat(listOfB.get("agentGroup").asText()).isEqualTo("Support Team");
  }

  // ---- names are per organization

  @Test
  void the_same_names_may_exist_in_two_organizations() {
    Estate a = estate(newOrg());
    Estate b = estate(newOrg());

    for (String path : RESOURCES) {
      JsonNode ofA = a.byPath().get(path);
      JsonNode ofB = b.byPath().get(path);
      assertThat(ofB.get("id").asText()).as(path).isNotEqualTo(ofA.get("id").asText());
      String field = path.equals(USERS) ? "username" : "name";
      assertThat(ofB.get(field).asText()).as(path).isEqualTo(ofA.get(field).asText());
    }
    // The user of each organization signs in to its own organization.
    assertThat(http.userToken(a.org().orgId(), "agent1", "agent1-pass")).isNotBlank();
    assertThat(http.userToken(b.org().orgId(), "agent1", "agent1-pass")).isNotBlank();
  }

  @Test
  void renaming_to_a_name_only_another_organization_uses_is_allowed() {
    Estate a = estate(newOrg());
    Org b = newOrg();
    String listId =
        created(http.post(LISTS, b.adminToken(), Map.of("name", "Other"))).get("id").asText();

    Response renamed = http.patch(LISTS + "/" + listId, b.adminToken(), Map.of("name", "Support"));

    assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
    assertThat(renamed.json().get("name").asText()).isEqualTo("Support");
    assertThat(http.get(LISTS + "/" + a.id(LISTS), a.org().adminToken()).json())
        .isEqualTo(a.byPath().get(LISTS));
  }

  // ---- tokens outside their organization

  @Test
  void the_operator_token_cannot_use_organization_resources() {
    String operator = http.operatorToken();

    for (String path : RESOURCES) {
      Response response = http.get(path, operator);
      assertError(response, 403, "authorization", "forbidden");
      assertThat(response.json().get("message").asText()).contains("organization");
    }
    assertError(
        http.post(USERS, operator, Map.of("username", "sneaky")),
        403,
        "authorization",
        "forbidden");
  }

  @Test
  void an_admin_token_of_a_is_refused_on_the_streaming_path_of_b() {
    Org a = newOrg();
    Org b = newOrg();
    String path = "/via/v3/organizations/" + b.orgId() + "/streaming/session";

    Response response =
        http.send(
            http.request(path)
                .header("Authorization", "Bearer " + a.adminToken())
                .header("x-api-key", b.apiKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));

    assertError(response, 403, "authorization", "forbidden");
    assertThat(response.json().get("message").asText()).contains(b.orgId());
  }

  @Test
  void a_user_of_a_cannot_sign_in_to_b() {
    Estate a = estate(newOrg());
    Org b = newOrg();

    Response response = passwordGrant(b.orgId(), "agent1", "agent1-pass");

    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("error").asText()).isEqualTo("invalid_grant");
    assertThat(response.json().has("access_token")).isFalse();
    assertThat(http.userToken(a.org().orgId(), "agent1", "agent1-pass")).isNotBlank();
  }

  @Test
  void an_organization_admin_cannot_create_or_list_organizations() {
    Org a = newOrg();

    Response create = http.post("/api/v1/organizations", a.adminToken(), Map.of("orgId", "evil"));
    assertError(create, 403, "authorization", "forbidden");
    assertThat(create.json().get("message").asText()).contains("operator");

    assertError(
        http.get("/api/v1/organizations", a.adminToken()), 403, "authorization", "forbidden");

    Response organizations = http.get("/api/v1/organizations", http.operatorToken());
    assertThat(organizations.status()).isEqualTo(200);
    List<String> orgIds = new ArrayList<>();
    organizations.json().forEach(org -> orgIds.add(org.get("orgId").asText()));
    assertThat(orgIds).contains(a.orgId()).doesNotContain("evil");
  }

  @Test
  void a_user_with_the_admin_role_of_a_cannot_touch_b() {
    Estate b = estate(newOrg());
    Org a = newOrg();
    created(
        http.post(
            USERS,
            a.adminToken(),
            Map.of("username", "boss", "password", "boss-pass", "roles", List.of("admin"))));
    String adminUserOfA = http.userToken(a.orgId(), "boss", "boss-pass");

    assertError(http.get(USERS + "/" + b.id(USERS), adminUserOfA), 404, "user", "notFound");
    assertError(
        http.patch(USERS + "/" + b.id(USERS), adminUserOfA, Map.of("password", "owned-you")),
        404,
        "user",
        "notFound");
    assertThat(http.userToken(b.org().orgId(), "agent1", "agent1-pass")).isNotBlank();
  }

  // ---- helpers

  private Org newOrg() {
    return http.createOrganization(
        "ten-" + store.name().toLowerCase(java.util.Locale.ROOT) + "-" + ORGS.incrementAndGet());
  }

  private static Map<String, Object> hijack(String path) {
    return switch (path) {
      case USERS -> Map.of("firstName", "Mallory", "password", "hijacked-pass");
      case CHANNELS -> Map.of("name", "hijacked", "customerActivityTimeout", 1);
      case LISTS -> Map.of("name", "hijacked", "description", "hijacked");
      default -> Map.of("name", "hijacked");
    };
  }

  private static String label(String path) {
    return switch (path) {
      case USERS -> "user";
      case TEAMS -> "team";
      case AGENT_GROUPS -> "agent group";
      case PLACE_GROUPS -> "place group";
      case LISTS -> "list";
      case CHANNELS -> "channel";
      default -> throw new IllegalArgumentException(path);
    };
  }

  private static Response passwordGrant(String orgId, String username, String password) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "password");
    form.put("org_id", orgId);
    form.put("username", username);
    form.put("password", password);
    return http.token(form);
  }

  private static JsonNode created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json();
  }

  /** An ErrorResponse with the status, and the scope and reason of its first error. */
  private static void assertError(Response response, int status, String scope, String reason) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    JsonNode body = response.json();
    assertThat(body.get("code").asInt()).as(response.toString()).isEqualTo(status);
    assertThat(body.get("message").asText()).isNotBlank();
    assertThat(body.get("errors").size()).as(response.toString()).isEqualTo(1);
    assertThat(body.at("/errors/0/scope").asText()).as(response.toString()).isEqualTo(scope);
    assertThat(body.at("/errors/0/reason").asText()).as(response.toString()).isEqualTo(reason);
  }

  private static List<String> ids(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.get("id").asText()));
    return values;
  }
}
