package io.pullroute.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
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
 * The administration API (DESIGN.md §4.3) over real sockets: CRUD of every resource, the refusals
 * that name the field at fault, the references between resources, and who may call what. Runs once
 * on H2 and once on PostgreSQL.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class AdminApiTest {
  private static final String USERS = "/api/v1/users";
  private static final String TEAMS = "/api/v1/teams";
  private static final String AGENT_GROUPS = "/api/v1/agent-groups";
  private static final String PLACE_GROUPS = "/api/v1/place-groups";
  private static final String LISTS = "/api/v1/lists";
  private static final String CHANNELS = "/api/v1/channels";
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

  // ---- lifecycle of each resource

  @Test
  void a_user_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    Response create =
        http.post(
            USERS,
            org.adminToken(),
            Map.of(
                "username", "alice",
                "password", "alice-secret",
                "firstName", "Alice",
                "lastName", "Liddell",
                "roles", List.of("supervisor", "agent"),
                "place", "desk-1"));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode user = create.json();
    assertThat(fieldNames(user))
        .contains("id", "username", "firstName", "lastName", "roles", "place", "createdAt")
        .noneMatch(field -> field.toLowerCase(java.util.Locale.ROOT).contains("password"))
        .noneMatch(field -> field.toLowerCase(java.util.Locale.ROOT).contains("hash"));
    assertThat(user.get("id").asText()).isNotBlank();
    assertThat(user.get("username").asText()).isEqualTo("alice");
    assertThat(user.get("firstName").asText()).isEqualTo("Alice");
    assertThat(user.get("lastName").asText()).isEqualTo("Liddell");
    assertThat(texts(user.get("roles"))).containsExactly("agent", "supervisor");
    assertThat(user.get("place").asText()).isEqualTo("desk-1");
    assertThat(user.get("createdAt").asText()).matches(ISO_MILLIS);
    assertThat(create.body()).doesNotContain("alice-secret").doesNotContainIgnoringCase("password");
    assertLifecycle(org, USERS, user, Map.of("firstName", "Alicia"), "user");
  }

  @Test
  void a_team_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    String member = createUser(org, "bob");
    Response create =
        http.post(
            TEAMS,
            org.adminToken(),
            Map.of(
                "name", "Night shift", "description", "after hours", "members", List.of(member)));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode team = create.json();
    assertThat(fieldNames(team)).contains("id", "name", "description", "members", "createdAt");
    assertThat(team.get("name").asText()).isEqualTo("Night shift");
    assertThat(team.get("description").asText()).isEqualTo("after hours");
    assertThat(texts(team.get("members"))).containsExactly(member);

    assertLifecycle(org, TEAMS, team, Map.of("description", "weekends too"), "team");
  }

  @Test
  void an_agent_group_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    String first = createUser(org, "carol");
    String second = createUser(org, "dave");
    Response create =
        http.post(
            AGENT_GROUPS,
            org.adminToken(),
            Map.of("name", "Support Team", "members", List.of(first, second)));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode group = create.json();
    assertThat(group.get("name").asText()).isEqualTo("Support Team");
    assertThat(group.get("description").isNull()).isTrue();
    assertThat(texts(group.get("members"))).containsExactlyInAnyOrder(first, second);

    // Changing only the name keeps the members.
    assertLifecycle(org, AGENT_GROUPS, group, Map.of("name", "Support Team 2"), "agent group");
  }

  @Test
  void a_place_group_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    Response create =
        http.post(
            PLACE_GROUPS,
            org.adminToken(),
            Map.of("name", "Front Desk", "places", List.of("desk-1", "desk-2")));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode group = create.json();
    assertThat(fieldNames(group)).contains("id", "name", "places", "createdAt");
    assertThat(group.get("name").asText()).isEqualTo("Front Desk");
    assertThat(texts(group.get("places"))).containsExactlyInAnyOrder("desk-1", "desk-2");

    assertLifecycle(org, PLACE_GROUPS, group, Map.of("name", "Back Desk"), "place group");
  }

  @Test
  void a_list_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    Response create =
        http.post(LISTS, org.adminToken(), Map.of("name", "Support", "description", "first line"));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode list = create.json();
    assertThat(fieldNames(list))
        .contains("id", "name", "description", "agentGroup", "placeGroup", "counts", "createdAt");
    assertThat(list.get("name").asText()).isEqualTo("Support");
    assertThat(list.get("description").asText()).isEqualTo("first line");
    assertThat(list.get("agentGroup").isNull()).isTrue();
    assertThat(list.get("placeGroup").isNull()).isTrue();

    assertLifecycle(org, LISTS, list, Map.of("description", "second line"), "list");
  }

  @Test
  void a_channel_is_created_listed_read_patched_and_deleted() {
    Org org = newOrg();
    String listId = createList(org, "Inbox");
    Response create =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of(
                "name", "web",
                "serviceIdentifier", "www.example.com",
                "channelType", "WEB",
                "routingMode", "PULL",
                "listId", listId,
                "customerActivityTimeout", 300,
                "agentRequestTtl", 3600));
    assertThat(create.status()).as(create.toString()).isEqualTo(201);
    JsonNode channel = create.json();
    assertThat(channel.get("id").asText()).isNotBlank();
    assertThat(channel.get("name").asText()).isEqualTo("web");
    assertThat(channel.get("serviceIdentifier").asText()).isEqualTo("www.example.com");
    assertThat(channel.get("channelType").asText()).isEqualTo("WEB");
    assertThat(channel.get("routingMode").asText()).isEqualTo("PULL");
    assertThat(channel.get("listId").asText()).isEqualTo(listId);
    assertThat(channel.get("customerActivityTimeout").asInt()).isEqualTo(300);
    assertThat(channel.get("agentRequestTtl").asInt()).isEqualTo(3600);
    assertThat(channel.get("createdAt").asText()).matches(ISO_MILLIS);

    assertLifecycle(org, CHANNELS, channel, Map.of("customerActivityTimeout", 600), "channel");
  }

  /**
   * The shared second half of every lifecycle: listed, read, patched (only the given fields
   * change), deleted, then gone.
   */
  private static void assertLifecycle(
      Org org, String path, JsonNode created, Map<String, Object> change, String label) {
    String id = created.get("id").asText();
    Response listed = http.get(path, org.adminToken());
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.json()).contains(created);

    Response read = http.get(path + "/" + id, org.adminToken());
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.json()).isEqualTo(created);

    Response patched = http.patch(path + "/" + id, org.adminToken(), change);
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
    ObjectNode expected = created.deepCopy();
    change.forEach((field, value) -> expected.set(field, ApiClient.JSON.valueToTree(value)));
    assertThat(patched.json()).isEqualTo(expected);
    assertThat(http.get(path + "/" + id, org.adminToken()).json()).isEqualTo(expected);

    Response deleted = http.delete(path + "/" + id, org.adminToken());
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();

    Response gone = http.get(path + "/" + id, org.adminToken());
    assertError(gone, 404, label, "notFound");
    assertThat(gone.json().get("message").asText()).contains(id);
    assertThat(ids(http.get(path, org.adminToken()).json())).doesNotContain(id);
  }

  @Test
  void patching_null_clears_an_optional_field_and_an_empty_patch_changes_nothing() {
    Org org = newOrg();
    JsonNode user =
        created(
            http.post(
                USERS,
                org.adminToken(),
                Map.of("username", "zoe", "firstName", "Zoe", "lastName", "Zed", "place", "d-9")));
    String id = user.get("id").asText();

    Response unchanged = http.patch(USERS + "/" + id, org.adminToken(), Map.of());
    assertThat(unchanged.status()).as(unchanged.toString()).isEqualTo(200);
    assertThat(unchanged.json()).isEqualTo(user);

    Map<String, Object> clear = new LinkedHashMap<>();
    clear.put("firstName", null);
    clear.put("place", null);
    Response cleared = http.patch(USERS + "/" + id, org.adminToken(), clear);

    assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
    ObjectNode expected = user.deepCopy();
    expected.putNull("firstName");
    expected.putNull("place");
    assertThat(cleared.json()).isEqualTo(expected);
    assertThat(http.get(USERS + "/" + id, org.adminToken()).json()).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void patching_the_name_to_null_is_a_400_naming_it(String path) {
    Org org = newOrg();
    JsonNode created = created(http.post(path, org.adminToken(), validBody(org, path, "keep")));
    String id = created.get("id").asText();

    Response response = http.patch(path + "/" + id, org.adminToken(), nullField(nameField(path)));

    assertError(response, 400, nameField(path), "invalid");
    assertThat(http.get(path + "/" + id, org.adminToken()).json()).isEqualTo(created);
  }

  // ---- refusals shared by all resources

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void creating_without_the_name_is_a_400_naming_it(String path) {
    Org org = newOrg();
    Map<String, Object> body = validBody(org, path, "nameless");
    String nameField = nameField(path);
    body.remove(nameField);

    Response response = http.post(path, org.adminToken(), body);

    assertError(response, 400, nameField, "invalid");
    assertThat(response.json().get("message").asText()).isEqualTo(nameField + " is required");
    assertThat(http.get(path, org.adminToken()).json()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void a_blank_name_is_a_400_naming_it(String path) {
    Org org = newOrg();
    Map<String, Object> body = validBody(org, path, "x");
    body.put(nameField(path), "   ");

    assertError(http.post(path, org.adminToken(), body), 400, nameField(path), "invalid");
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void a_name_that_is_not_a_string_is_a_400_naming_it(String path) {
    Org org = newOrg();
    Map<String, Object> body = validBody(org, path, "x");
    body.put(nameField(path), 42);

    Response response = http.post(path, org.adminToken(), body);

    assertError(response, 400, nameField(path), "invalid");
    assertThat(response.json().get("message").asText())
        .isEqualTo(nameField(path) + " must be a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void an_unknown_field_is_a_400_naming_it_on_create_and_on_patch(String path) {
    Org org = newOrg();
    Map<String, Object> body = validBody(org, path, "first");
    body.put("colour", "blue");

    Response create = http.post(path, org.adminToken(), body);
    assertError(create, 400, "colour", "invalid");
    assertThat(create.json().get("message").asText()).isEqualTo("unknown field 'colour'");
    assertThat(http.get(path, org.adminToken()).json()).isEmpty();

    body.remove("colour");
    JsonNode created = created(http.post(path, org.adminToken(), body));
    String id = created.get("id").asText();
    Response patch = http.patch(path + "/" + id, org.adminToken(), Map.of("colour", "red"));
    assertError(patch, 400, "colour", "invalid");
    assertThat(http.get(path + "/" + id, org.adminToken()).json()).isEqualTo(created);
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void a_duplicate_name_is_a_409(String path) {
    Org org = newOrg();
    Map<String, Object> body = validBody(org, path, "twin");
    JsonNode first = created(http.post(path, org.adminToken(), body));

    Response second = http.post(path, org.adminToken(), body);

    assertError(second, 409, nameField(path), "conflict");
    assertThat(second.json().get("message").asText()).contains("'twin'", "already exists");
    assertThat(ids(http.get(path, org.adminToken()).json()))
        .containsExactly(first.get("id").asText());
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void renaming_to_a_taken_name_is_a_409_and_changes_nothing(String path) {
    Org org = newOrg();
    Map<String, Object> firstBody = validBody(org, path, "taken");
    created(http.post(path, org.adminToken(), firstBody));
    Map<String, Object> secondBody = new LinkedHashMap<>(firstBody);
    secondBody.put(nameField(path), "other");
    JsonNode second = created(http.post(path, org.adminToken(), secondBody));
    String id = second.get("id").asText();

    Response rename =
        http.patch(path + "/" + id, org.adminToken(), Map.of(nameField(path), "taken"));

    assertError(rename, 409, nameField(path), "conflict");
    assertThat(http.get(path + "/" + id, org.adminToken()).json()).isEqualTo(second);
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void an_unknown_id_is_a_404_on_get_patch_and_delete(String path) {
    Org org = newOrg();
    String label = label(path);
    String path404 = path + "/no-such-id";

    Response get = http.get(path404, org.adminToken());
    assertError(get, 404, label, "notFound");
    assertThat(get.json().get("message").asText()).isEqualTo(label + " no-such-id not found");

    Response patch = http.patch(path404, org.adminToken(), Map.of(nameField(path), "renamed"));
    assertError(patch, 404, label, "notFound");

    Response delete = http.delete(path404, org.adminToken());
    assertError(delete, 404, label, "notFound");
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void deleting_twice_is_a_404_the_second_time(String path) {
    Org org = newOrg();
    String id =
        created(http.post(path, org.adminToken(), validBody(org, path, "once"))).get("id").asText();

    assertThat(http.delete(path + "/" + id, org.adminToken()).status()).isEqualTo(204);
    assertError(http.delete(path + "/" + id, org.adminToken()), 404, label(path), "notFound");
  }

  @ParameterizedTest
  @ValueSource(strings = {USERS, TEAMS, AGENT_GROUPS, PLACE_GROUPS, LISTS, CHANNELS})
  void a_call_without_a_token_is_a_401(String path) {
    Response response = http.get(path, null);

    assertError(response, 401, "authorization", "unauthorized");
    assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
  }

  // ---- users

  @Test
  void roles_given_as_a_string_is_a_400_naming_roles() {
    Org org = newOrg();

    Response response =
        http.post(USERS, org.adminToken(), Map.of("username", "erin", "roles", "agent"));

    assertError(response, 400, "roles", "invalid");
    assertThat(response.json().get("message").asText())
        .isEqualTo("roles must be an array of strings");
    assertThat(http.get(USERS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void a_role_that_is_not_a_string_is_a_400_naming_its_index() {
    Org org = newOrg();

    Response response =
        http.post(
            USERS, org.adminToken(), Map.of("username", "erin", "roles", List.of("agent", 7)));

    assertError(response, 400, "roles[1]", "invalid");
  }

  @Test
  void an_unknown_role_is_a_400_naming_roles() {
    Org org = newOrg();

    Response response =
        http.post(USERS, org.adminToken(), Map.of("username", "erin", "roles", List.of("boss")));

    assertError(response, 400, "roles", "invalid");
    assertThat(response.json().get("message").asText()).contains("'boss'");
    assertThat(http.get(USERS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void an_empty_role_list_is_a_400_naming_roles() {
    Org org = newOrg();

    assertError(
        http.post(USERS, org.adminToken(), Map.of("username", "erin", "roles", List.of())),
        400,
        "roles",
        "invalid");
  }

  @Test
  void patching_an_unknown_role_is_a_400_and_keeps_the_user() {
    Org org = newOrg();
    JsonNode user = created(http.post(USERS, org.adminToken(), Map.of("username", "frank")));
    String id = user.get("id").asText();

    Response response =
        http.patch(USERS + "/" + id, org.adminToken(), Map.of("roles", List.of("agent", "root")));

    assertError(response, 400, "roles", "invalid");
    assertThat(http.get(USERS + "/" + id, org.adminToken()).json()).isEqualTo(user);
  }

  @Test
  void a_user_without_roles_is_an_agent() {
    Org org = newOrg();

    JsonNode user = created(http.post(USERS, org.adminToken(), Map.of("username", "gina")));

    assertThat(texts(user.get("roles"))).containsExactly("agent");
    assertThat(user.get("firstName").isNull()).isTrue();
    assertThat(user.get("place").isNull()).isTrue();
  }

  @Test
  void an_invalid_username_is_a_400_naming_username() {
    Org org = newOrg();

    Response response = http.post(USERS, org.adminToken(), Map.of("username", "has space"));

    assertError(response, 400, "username", "invalid");
  }

  @Test
  void a_password_that_is_too_short_is_a_400_naming_password() {
    Org org = newOrg();

    Response response =
        http.post(USERS, org.adminToken(), Map.of("username", "hank", "password", "abc"));

    assertError(response, 400, "password", "invalid");
    assertThat(http.get(USERS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void a_new_user_signs_in_with_its_password_and_after_a_change_only_with_the_new_one() {
    Org org = newOrg();
    JsonNode user =
        created(
            http.post(
                USERS,
                org.adminToken(),
                Map.of("username", "ivy", "password", "first-pass", "roles", List.of("agent"))));
    String id = user.get("id").asText();
    assertThat(http.userToken(org.orgId(), "ivy", "first-pass")).isNotBlank();

    Response patched =
        http.patch(USERS + "/" + id, org.adminToken(), Map.of("password", "second-pass"));
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
    assertThat(patched.json()).isEqualTo(user);
    assertThat(patched.body()).doesNotContain("second-pass");

    Response old = passwordGrant(org.orgId(), "ivy", "first-pass");
    assertThat(old.status()).as(old.toString()).isEqualTo(400);
    assertThat(old.json().get("error").asText()).isEqualTo("invalid_grant");
    assertThat(http.userToken(org.orgId(), "ivy", "second-pass")).isNotBlank();
  }

  @Test
  void a_user_created_without_a_password_cannot_sign_in() {
    Org org = newOrg();
    created(http.post(USERS, org.adminToken(), Map.of("username", "jack")));

    Response response = passwordGrant(org.orgId(), "jack", "anything");

    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("error").asText()).isEqualTo("invalid_grant");
  }

  @Test
  void a_deleted_user_cannot_sign_in_and_leaves_its_groups() {
    Org org = newOrg();
    String kept = createUser(org, "kate");
    JsonNode leaving =
        created(
            http.post(USERS, org.adminToken(), Map.of("username", "leo", "password", "leo-pass")));
    String leavingId = leaving.get("id").asText();
    String groupId =
        created(
                http.post(
                    AGENT_GROUPS,
                    org.adminToken(),
                    Map.of("name", "Team", "members", List.of(kept, leavingId))))
            .get("id")
            .asText();

    assertThat(http.delete(USERS + "/" + leavingId, org.adminToken()).status()).isEqualTo(204);

    Response grant = passwordGrant(org.orgId(), "leo", "leo-pass");
    assertThat(grant.status()).isEqualTo(400);
    assertThat(grant.json().get("error").asText()).isEqualTo("invalid_grant");
    JsonNode group = http.get(AGENT_GROUPS + "/" + groupId, org.adminToken()).json();
    assertThat(texts(group.get("members"))).containsExactly(kept);
  }

  @Test
  void an_agent_may_read_lists_but_not_administer() {
    Org org = newOrg();
    String listId = createList(org, "Support");
    created(
        http.post(
            USERS,
            org.adminToken(),
            Map.of("username", "mia", "password", "mia-pass", "roles", List.of("agent"))));
    String agent = http.userToken(org.orgId(), "mia", "mia-pass");

    Response createUser = http.post(USERS, agent, Map.of("username", "intruder"));
    assertError(createUser, 403, "authorization", "forbidden");
    assertThat(createUser.json().get("message").asText()).contains("admin");
    assertError(http.get(USERS, agent), 403, "authorization", "forbidden");
    assertError(
        http.patch(LISTS + "/" + listId, agent, Map.of("name", "Mine")),
        403,
        "authorization",
        "forbidden");

    Response lists = http.get(LISTS, agent);
    assertThat(lists.status()).as(lists.toString()).isEqualTo(200);
    assertThat(ids(lists.json())).containsExactly(listId);
    Response one = http.get(LISTS + "/" + listId, agent);
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().get("name").asText()).isEqualTo("Support");
    assertThat(ids(http.get(USERS, org.adminToken()).json())).hasSize(1);
  }

  @Test
  void a_user_with_the_admin_role_may_administer() {
    Org org = newOrg();
    created(
        http.post(
            USERS,
            org.adminToken(),
            Map.of("username", "nina", "password", "nina-pass", "roles", List.of("admin"))));
    String admin = http.userToken(org.orgId(), "nina", "nina-pass");

    Response response = http.post(USERS, admin, Map.of("username", "olga"));

    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    assertThat(response.json().get("username").asText()).isEqualTo("olga");
  }

  @Test
  void me_describes_the_signed_in_user() {
    Org org = newOrg();
    JsonNode user =
        created(
            http.post(
                USERS,
                org.adminToken(),
                Map.of(
                    "username",
                    "pia",
                    "password",
                    "pia-pass",
                    "roles",
                    List.of("supervisor", "agent"))));
    String token = http.userToken(org.orgId(), "pia", "pia-pass");

    Response me = http.get("/api/v1/me", token);

    assertThat(me.status()).as(me.toString()).isEqualTo(200);
    JsonNode body = me.json();
    assertThat(body.get("id").asText()).isEqualTo(user.get("id").asText());
    assertThat(body.get("username").asText()).isEqualTo("pia");
    assertThat(texts(body.get("roles"))).containsExactly("agent", "supervisor");
    assertThat(body.get("orgId").asText()).isEqualTo(org.orgId());
    assertThat(body.get("kind").asText()).isEqualTo("user");
  }

  @Test
  void me_describes_the_admin_client() {
    Org org = newOrg();

    Response me = http.get("/api/v1/me", org.adminToken());

    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().get("kind").asText()).isEqualTo("client");
    assertThat(me.json().get("orgId").asText()).isEqualTo(org.orgId());
    assertThat(me.json().get("username").isNull()).isTrue();
    assertThat(texts(me.json().get("roles"))).isEmpty();
    assertThat(texts(me.json().get("scopes"))).contains("admin");
  }

  // ---- groups

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void a_group_with_an_unknown_member_is_a_400_naming_the_member(String path) {
    Org org = newOrg();

    Response response =
        http.post(path, org.adminToken(), Map.of("name", "G", "members", List.of("no-such-user")));

    assertError(response, 400, "members[0]", "invalid");
    assertThat(response.json().get("message").asText()).contains("'no-such-user'");
    assertThat(http.get(path, org.adminToken()).json()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void the_unknown_member_is_named_by_its_index(String path) {
    Org org = newOrg();
    String known = createUser(org, "quinn");

    Response response =
        http.post(path, org.adminToken(), Map.of("name", "G", "members", List.of(known, "ghost")));

    assertError(response, 400, "members[1]", "invalid");
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void the_unknown_member_is_named_by_its_index_in_the_request_even_after_a_repeated_member(
      String path) {
    Org org = newOrg();
    String known = createUser(org, "ursula");

    Response response =
        http.post(
            path, org.adminToken(), Map.of("name", "G", "members", List.of(known, known, "ghost")));

    // "ghost" is element 2 of the request's members.
    assertError(response, 400, "members[2]", "invalid");
    assertThat(response.json().get("message").asText()).contains("'ghost'");
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void patching_an_unknown_member_is_a_400_and_keeps_the_group(String path) {
    Org org = newOrg();
    String known = createUser(org, "rita");
    JsonNode group =
        created(http.post(path, org.adminToken(), Map.of("name", "G", "members", List.of(known))));
    String id = group.get("id").asText();

    Response response =
        http.patch(path + "/" + id, org.adminToken(), Map.of("members", List.of("ghost")));

    assertError(response, 400, "members[0]", "invalid");
    assertThat(http.get(path + "/" + id, org.adminToken()).json()).isEqualTo(group);
  }

  @ParameterizedTest
  @ValueSource(strings = {TEAMS, AGENT_GROUPS})
  void members_given_as_a_string_is_a_400_naming_members(String path) {
    Org org = newOrg();
    String known = createUser(org, "sam");

    Response response = http.post(path, org.adminToken(), Map.of("name", "G", "members", known));

    assertError(response, 400, "members", "invalid");
  }

  @Test
  void a_blank_place_is_a_400_naming_it() {
    Org org = newOrg();

    Response response =
        http.post(PLACE_GROUPS, org.adminToken(), Map.of("name", "P", "places", List.of("a", " ")));

    assertError(response, 400, "places[1]", "invalid");
  }

  /**
   * A place is at most 1,000 characters, in a place group as in a user. Before, a place group took
   * places of any length, which no user's place could ever match.
   */
  @Test
  void a_place_longer_than_a_users_place_may_be_is_a_400_naming_it() {
    Org org = newOrg();

    Response response =
        http.post(
            PLACE_GROUPS,
            org.adminToken(),
            Map.of("name", "P", "places", List.of("a", "p".repeat(1001))));

    assertError(response, 400, "places[1]", "invalid");
  }

  @Test
  void deleting_an_agent_group_that_owns_a_list_is_a_409_and_keeps_both() {
    Org org = newOrg();
    JsonNode group = created(http.post(AGENT_GROUPS, org.adminToken(), Map.of("name", "Owners")));
    String groupId = group.get("id").asText();
    JsonNode list =
        created(
            http.post(LISTS, org.adminToken(), Map.of("name", "Owned", "agentGroup", "Owners")));

    Response response = http.delete(AGENT_GROUPS + "/" + groupId, org.adminToken());

    assertError(response, 409, "agent group", "conflict");
    assertThat(response.json().get("message").asText()).contains("in use");
    assertThat(http.get(AGENT_GROUPS + "/" + groupId, org.adminToken()).json()).isEqualTo(group);
    assertThat(http.get(LISTS + "/" + list.get("id").asText(), org.adminToken()).json())
        .isEqualTo(list);

    // Once the list is given away, the group may go.
    Response released =
        http.patch(
            LISTS + "/" + list.get("id").asText(), org.adminToken(), nullField("agentGroup"));
    assertThat(released.status()).as(released.toString()).isEqualTo(200);
    assertThat(released.json().get("agentGroup").isNull()).isTrue();
    assertThat(http.delete(AGENT_GROUPS + "/" + groupId, org.adminToken()).status()).isEqualTo(204);
  }

  @Test
  void deleting_a_place_group_that_owns_a_list_is_a_409() {
    Org org = newOrg();
    String groupId =
        created(http.post(PLACE_GROUPS, org.adminToken(), Map.of("name", "Desks")))
            .get("id")
            .asText();
    created(http.post(LISTS, org.adminToken(), Map.of("name", "Desk list", "placeGroup", "Desks")));

    Response response = http.delete(PLACE_GROUPS + "/" + groupId, org.adminToken());

    assertError(response, 409, "place group", "conflict");
    assertThat(http.get(PLACE_GROUPS + "/" + groupId, org.adminToken()).status()).isEqualTo(200);
  }

  // ---- lists

  @Test
  void a_list_read_counts_its_open_requests_per_state() {
    Org org = newOrg();
    JsonNode created = created(http.post(LISTS, org.adminToken(), Map.of("name", "Fresh")));
    Map<String, Integer> zero = Map.of("UNREAD", 0, "ACTIVE", 0, "INACTIVE", 0);

    assertThat(created.get("counts")).isEqualTo(ApiClient.JSON.valueToTree(zero));
    JsonNode read = http.get(LISTS + "/" + created.get("id").asText(), org.adminToken()).json();
    assertThat(read.get("counts")).isEqualTo(ApiClient.JSON.valueToTree(zero));
    JsonNode listed = http.get(LISTS, org.adminToken()).json().get(0);
    assertThat(listed.get("counts")).isEqualTo(ApiClient.JSON.valueToTree(zero));
  }

  @Test
  void a_list_owned_by_an_agent_group_shows_the_group_name_even_after_a_rename() {
    Org org = newOrg();
    String groupId =
        created(http.post(AGENT_GROUPS, org.adminToken(), Map.of("name", "Support Team")))
            .get("id")
            .asText();

    JsonNode list =
        created(
            http.post(
                LISTS, org.adminToken(), Map.of("name", "Support", "agentGroup", "Support Team")));

    assertThat(list.get("agentGroup").asText()).isEqualTo("Support Team");
    assertThat(list.get("placeGroup").isNull()).isTrue();
    String listId = list.get("id").asText();
    assertThat(http.get(LISTS + "/" + listId, org.adminToken()).json().get("agentGroup").asText())
        .isEqualTo("Support Team");

    http.patch(AGENT_GROUPS + "/" + groupId, org.adminToken(), Map.of("name", "Helpdesk"));
    assertThat(http.get(LISTS + "/" + listId, org.adminToken()).json().get("agentGroup").asText())
        .isEqualTo("Helpdesk");
  }

  @Test
  void a_list_owned_by_a_place_group_shows_the_group_name() {
    Org org = newOrg();
    created(http.post(PLACE_GROUPS, org.adminToken(), Map.of("name", "Front Desk")));

    JsonNode list =
        created(
            http.post(LISTS, org.adminToken(), Map.of("name", "Desk", "placeGroup", "Front Desk")));

    assertThat(list.get("placeGroup").asText()).isEqualTo("Front Desk");
    assertThat(list.get("agentGroup").isNull()).isTrue();
  }

  @Test
  void a_list_with_an_unknown_agent_group_is_a_400_naming_agentGroup() {
    Org org = newOrg();

    Response response =
        http.post(LISTS, org.adminToken(), Map.of("name", "Orphan", "agentGroup", "Nobody"));

    assertError(response, 400, "agentGroup", "invalid");
    assertThat(response.json().get("message").asText()).contains("'Nobody'");
    assertThat(http.get(LISTS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void a_list_with_an_unknown_place_group_is_a_400_naming_placeGroup() {
    Org org = newOrg();

    Response response =
        http.post(LISTS, org.adminToken(), Map.of("name", "Orphan", "placeGroup", "Nowhere"));

    assertError(response, 400, "placeGroup", "invalid");
  }

  @Test
  void a_list_with_both_an_agent_group_and_a_place_group_is_a_400() {
    Org org = newOrg();
    created(http.post(AGENT_GROUPS, org.adminToken(), Map.of("name", "Agents")));
    created(http.post(PLACE_GROUPS, org.adminToken(), Map.of("name", "Places")));

    Response response =
        http.post(
            LISTS,
            org.adminToken(),
            Map.of("name", "Both", "agentGroup", "Agents", "placeGroup", "Places"));

    assertError(response, 400, "placeGroup", "invalid");
    assertThat(response.json().get("message").asText()).contains("not both");
    assertThat(http.get(LISTS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void patching_an_owned_list_to_a_second_owner_is_a_400_and_keeps_the_list() {
    Org org = newOrg();
    created(http.post(AGENT_GROUPS, org.adminToken(), Map.of("name", "Agents")));
    created(http.post(PLACE_GROUPS, org.adminToken(), Map.of("name", "Places")));
    JsonNode list =
        created(http.post(LISTS, org.adminToken(), Map.of("name", "L", "agentGroup", "Agents")));
    String id = list.get("id").asText();

    Response response =
        http.patch(LISTS + "/" + id, org.adminToken(), Map.of("placeGroup", "Places"));

    assertError(response, 400, "placeGroup", "invalid");
    assertThat(http.get(LISTS + "/" + id, org.adminToken()).json()).isEqualTo(list);
  }

  @Test
  void deleting_a_list_a_channel_refers_to_is_a_409_until_the_channel_is_gone() {
    Org org = newOrg();
    JsonNode list = created(http.post(LISTS, org.adminToken(), Map.of("name", "Busy")));
    String listId = list.get("id").asText();
    String channelId = createChannel(org, "web", listId);

    Response response = http.delete(LISTS + "/" + listId, org.adminToken());

    assertError(response, 409, "list", "conflict");
    assertThat(response.json().get("message").asText()).contains(listId, "in use");
    assertThat(http.get(LISTS + "/" + listId, org.adminToken()).json()).isEqualTo(list);

    assertThat(http.delete(CHANNELS + "/" + channelId, org.adminToken()).status()).isEqualTo(204);
    assertThat(http.delete(LISTS + "/" + listId, org.adminToken()).status()).isEqualTo(204);
  }

  // ---- channels

  @Test
  void a_channel_without_channelType_is_a_400_naming_channelType() {
    Org org = newOrg();
    String listId = createList(org, "L");

    Response response =
        http.post(CHANNELS, org.adminToken(), Map.of("name", "web", "listId", listId));

    assertError(response, 400, "channelType", "invalid");
    assertThat(response.json().get("message").asText()).isEqualTo("channelType is required");
    assertThat(http.get(CHANNELS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void an_unknown_channelType_is_a_400_naming_channelType() {
    Org org = newOrg();
    String listId = createList(org, "L");

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of("name", "fax", "channelType", "FAX", "listId", listId));

    assertError(response, 400, "channelType", "invalid");
    assertThat(response.json().get("message").asText()).contains("'FAX'");
  }

  @Test
  void an_unknown_routingMode_is_a_400_naming_routingMode() {
    Org org = newOrg();
    String listId = createList(org, "L");

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of(
                "name", "web", "channelType", "WEB", "routingMode", "SIDEWAYS", "listId", listId));

    assertError(response, 400, "routingMode", "invalid");
  }

  @Test
  void a_customerActivityTimeout_that_is_not_an_integer_is_a_400_naming_it() {
    Org org = newOrg();
    String listId = createList(org, "L");

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of(
                "name",
                "web",
                "channelType",
                "WEB",
                "listId",
                listId,
                "customerActivityTimeout",
                "x"));

    assertError(response, 400, "customerActivityTimeout", "invalid");
    assertThat(response.json().get("message").asText())
        .isEqualTo("customerActivityTimeout must be an integer");
    assertThat(http.get(CHANNELS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void a_negative_agentRequestTtl_is_a_400_naming_it() {
    Org org = newOrg();
    String listId = createList(org, "L");

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of("name", "web", "channelType", "WEB", "listId", listId, "agentRequestTtl", -1));

    assertError(response, 400, "agentRequestTtl", "invalid");
  }

  @Test
  void a_pull_channel_without_listId_is_a_400_naming_listId() {
    Org org = newOrg();

    Response explicit =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of("name", "web", "channelType", "WEB", "routingMode", "PULL"));
    assertError(explicit, 400, "listId", "invalid");
    assertThat(explicit.json().get("message").asText()).contains("PULL");

    // PULL is the default routing mode.
    Response implicit =
        http.post(CHANNELS, org.adminToken(), Map.of("name", "web", "channelType", "WEB"));
    assertError(implicit, 400, "listId", "invalid");
    assertThat(http.get(CHANNELS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void a_push_channel_needs_no_list() {
    Org org = newOrg();

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of("name", "sms", "channelType", "SMS", "routingMode", "PUSH"));

    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    assertThat(response.json().get("routingMode").asText()).isEqualTo("PUSH");
    assertThat(response.json().get("listId").isNull()).isTrue();
  }

  @Test
  void a_pull_channel_with_an_unknown_listId_is_a_400_naming_listId() {
    Org org = newOrg();

    Response response =
        http.post(
            CHANNELS,
            org.adminToken(),
            Map.of("name", "web", "channelType", "WEB", "listId", "no-such-list"));

    assertError(response, 400, "listId", "invalid");
    assertThat(response.json().get("message").asText()).contains("'no-such-list'");
    assertThat(http.get(CHANNELS, org.adminToken()).json()).isEmpty();
  }

  @Test
  void patching_a_channel_to_an_unknown_list_or_no_list_is_a_400_and_keeps_it() {
    Org org = newOrg();
    String listId = createList(org, "L");
    String channelId = createChannel(org, "web", listId);
    JsonNode channel = http.get(CHANNELS + "/" + channelId, org.adminToken()).json();

    assertError(
        http.patch(CHANNELS + "/" + channelId, org.adminToken(), Map.of("listId", "ghost")),
        400,
        "listId",
        "invalid");
    assertError(
        http.patch(CHANNELS + "/" + channelId, org.adminToken(), nullField("listId")),
        400,
        "listId",
        "invalid");
    assertThat(http.get(CHANNELS + "/" + channelId, org.adminToken()).json()).isEqualTo(channel);
  }

  // ---- helpers

  private static final String ISO_MILLIS = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

  private Org newOrg() {
    return http.createOrganization(
        "adm-" + store.name().toLowerCase(java.util.Locale.ROOT) + "-" + ORGS.incrementAndGet());
  }

  private static String nameField(String path) {
    return path.equals(USERS) ? "username" : "name";
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

  /** A valid creation body named {@code name}, creating what it refers to. */
  private static Map<String, Object> validBody(Org org, String path, String name) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(nameField(path), name);
    if (path.equals(CHANNELS)) {
      body.put("channelType", "WEB");
      body.put("listId", createList(org, "list-of-" + name));
    }
    return body;
  }

  private static Map<String, Object> nullField(String field) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(field, null);
    return body;
  }

  private static String createUser(Org org, String username) {
    return created(http.post(USERS, org.adminToken(), Map.of("username", username)))
        .get("id")
        .asText();
  }

  private static String createList(Org org, String name) {
    return created(http.post(LISTS, org.adminToken(), Map.of("name", name))).get("id").asText();
  }

  private static String createChannel(Org org, String name, String listId) {
    return created(
            http.post(
                CHANNELS,
                org.adminToken(),
                Map.of("name", name, "channelType", "WEB", "listId", listId)))
        .get("id")
        .asText();
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
    assertThat(body.at("/errors/0/message").asText()).isEqualTo(body.get("message").asText());
  }

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static List<String> ids(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.get("id").asText()));
    return values;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
