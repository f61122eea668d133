package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.admin.JdbiAdminRepository;
import io.pullroute.auth.Principal;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Who may work on a list is one rule written twice: in Java on the administration data a node
 * remembers ({@link RoutingService#mayWorkOn}: joins, list reads, streaming interest) and in SQL
 * (the {@code list_permission} view: subscriptions, and ending them on an administrator's change).
 * Both answer alike for every kind of user and list.
 */
class ListPermissionRuleTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void the_java_rule_and_the_sql_view_agree_for_every_user_and_list(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      ApiClient http = server.http();
      ApiClient.Org org = http.createOrganization("permission-rule");
      Map<String, String> users = new LinkedHashMap<>();
      Map<String, List<String>> roles = new HashMap<>();
      user(http, org, users, roles, "member", List.of("agent"), null);
      user(http, org, users, roles, "seated", List.of("agent"), "desk-1");
      user(http, org, users, roles, "elsewhere", List.of("agent"), "desk-9");
      user(http, org, users, roles, "supervisor", List.of("supervisor"), null);
      user(http, org, users, roles, "admin", List.of("admin"), null);
      created(
          http.post(
              "/api/v1/agent-groups",
              org.adminToken(),
              Map.of("name", "Team", "members", List.of(users.get("member")))));
      created(
          http.post(
              "/api/v1/place-groups",
              org.adminToken(),
              Map.of("name", "Desks", "places", List.of("desk-1"))));
      Map<String, String> lists = new LinkedHashMap<>();
      lists.put("team's", list(http, org, Map.of("name", "T", "agentGroup", "Team")));
      lists.put("desks'", list(http, org, Map.of("name", "D", "placeGroup", "Desks")));
      lists.put("open", list(http, org, Map.of("name", "O")));
      Jdbi jdbi = server.server().database().jdbi();
      RoutingService routing =
          new RoutingService(
              new JdbiRoutingRepository(jdbi, server.clock(), server.server().database().dialect()),
              new JdbiAdminRepository(jdbi, server.server().database().dialect()));

      Map<String, Boolean> java = new LinkedHashMap<>();
      Map<String, Boolean> sql = new LinkedHashMap<>();
      users.forEach(
          (name, userId) ->
              lists.forEach(
                  (listName, listId) -> {
                    String pair = name + " on the " + listName + " list";
                    Principal principal =
                        new Principal(
                            Principal.Kind.USER,
                            org.orgId(),
                            userId,
                            name,
                            Set.copyOf(roles.get(name)),
                            Set.of("streamingapi"));
                    java.put(pair, routing.mayWorkOn(principal, listId));
                    sql.put(pair, permitted(jdbi, userId, listId));
                  }));

      assertThat(sql).isEqualTo(java);
      // And the rule is the documented one (routing.md, "Who may do what").
      assertThat(java)
          .containsEntry("member on the team's list", true)
          .containsEntry("seated on the team's list", false)
          .containsEntry("seated on the desks' list", true)
          .containsEntry("elsewhere on the desks' list", false)
          .containsEntry("member on the desks' list", false)
          .containsEntry("elsewhere on the open list", true)
          .containsEntry("supervisor on the team's list", true)
          .containsEntry("admin on the desks' list", true);
    }
  }

  private static void user(
      ApiClient http,
      ApiClient.Org org,
      Map<String, String> users,
      Map<String, List<String>> roles,
      String name,
      List<String> userRoles,
      String place) {
    Map<String, Object> body = new HashMap<>();
    body.put("username", name);
    body.put("password", "pw-" + name);
    body.put("roles", userRoles);
    if (place != null) {
      body.put("place", place);
    }
    users.put(name, created(http.post("/api/v1/users", org.adminToken(), body)));
    roles.put(name, userRoles);
  }

  private static String list(ApiClient http, ApiClient.Org org, Map<String, Object> body) {
    return created(http.post("/api/v1/lists", org.adminToken(), body));
  }

  private static String created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json().get("id").asText();
  }

  private static boolean permitted(Jdbi jdbi, String userId, String listId) {
    return jdbi.withHandle(
        handle ->
            handle
                    .createQuery(
                        "SELECT COUNT(*) FROM list_permission"
                            + " WHERE user_id = :user AND list_id = :list")
                    .bind("user", userId)
                    .bind("list", listId)
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }
}
