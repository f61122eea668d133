package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.TestServer;
import io.pullroute.testing.TwoNodes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A subscription to a list and an administrator's change that takes the right to work on the list
 * from its user, through two nodes sharing one PostgreSQL store: whichever commits first, the user
 * ends up not subscribed. One of them is stopped just before its commit; the other runs meanwhile
 * through the other node.
 */
class TwoNodesSubscriptionRaceTest extends TwoNodes {
  static int orgs;

  /**
   * Agent a1 subscribes to the Team's workbin (the list Owned) through the second node and is
   * removed from Team through the first while the subscription has not committed. The removal waits
   * for it, and then ends it. Before, the removal committed at once, the subscription after it, and
   * a1 stayed subscribed to a list it was no longer allowed on.
   */
  @Test
  void a_subscription_that_commits_after_the_user_left_the_lists_group_is_ended() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "subscription-" + ++orgs);
    String team = org.http.get("/api/v1/agent-groups", org.admin).json().get(0).get("id").asText();

    List<Response> answers =
        HeldCommits.race(
            first,
            () ->
                second
                    .http()
                    .post(
                        "/api/v2/me/workbins/" + org.ownedList + "?agentGroup=Team",
                        org.token("a1"),
                        Map.of("operationName", "Subscribe")),
            () ->
                org.http.patch(
                    "/api/v1/agent-groups/" + team,
                    org.admin,
                    Map.of("members", List.of(org.id("a2")))),
            "UPDATE agent_group");

    Response subscribed = answers.get(0);
    assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(200);
    Response removed = answers.get(1);
    assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
    assertThat(subscribedLists(org.http, org, "a1")).isEmpty();
  }

  /**
   * Supervisor s1 is made an agent through the second node, which is stopped before its commit, and
   * subscribes to the list Owned (whose group it is not in) through the first meanwhile, with its
   * token of a supervisor. The subscription waits for the change, and is refused (403). Before, it
   * was decided on s1's roles as read before, and s1 stayed subscribed as an agent.
   */
  @Test
  void a_subscription_racing_the_loss_of_the_users_role_is_refused() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "subscription-" + ++orgs);

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> madeAnAgent(second, org, "s1"),
            () -> org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("s1"), ""),
            HeldCommits.LOCKING_SHARED);

    Response demoted = answers.get(0);
    assertThat(demoted.status()).as(demoted.toString()).isEqualTo(200);
    Response subscribed = answers.get(1);
    assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(403);
    // Through the node that made the change: the other may remember s1's roles for a second.
    assertThat(subscribedLists(second.http(), org, "s1")).isEmpty();
  }

  /**
   * Supervisor s1, a member of Team and subscribed to Team's list Owned, is made an agent through
   * the second node, stopped before its commit, and removed from Team through the first meanwhile:
   * either change alone leaves s1 its right to Owned, both together take it. The removal waits for
   * the other change, and ends the subscription. Before, each change's clean-up saw the other's
   * update uncommitted, neither ended it, and s1 stayed subscribed as an agent outside Team.
   */
  @Test
  void two_changes_that_together_take_the_right_to_a_list_end_the_subscription() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "subscription-" + ++orgs);
    String team = org.http.get("/api/v1/agent-groups", org.admin).json().get(0).get("id").asText();
    List<String> members = List.of(org.id("a1"), org.id("a2"));
    Response joined =
        org.http.patch(
            "/api/v1/agent-groups/" + team,
            org.admin,
            Map.of("members", List.of(org.id("a1"), org.id("a2"), org.id("s1"))));
    assertThat(joined.status()).as(joined.toString()).isEqualTo(200);
    Response subscribed =
        org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("s1"), "");
    assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(200);

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> madeAnAgent(second, org, "s1"),
            () ->
                org.http.patch(
                    "/api/v1/agent-groups/" + team, org.admin, Map.of("members", members)),
            "FROM organization");

    assertThat(answers).extracting(Response::status).containsExactly(200, 200);
    assertThat(subscribedLists(second.http(), org, "s1")).isEmpty();
  }

  /** {@code user} made an agent through {@code node}: what the node answered. */
  private static Response madeAnAgent(TestServer node, RoutingFixture org, String user) {
    return node.http()
        .patch("/api/v1/users/" + org.id(user), org.admin, Map.of("roles", List.of("agent")));
  }

  /**
   * The lists {@code user} is subscribed to, read through {@code node} with a new token (its roles
   * may have changed).
   */
  private static List<String> subscribedLists(ApiClient node, RoutingFixture org, String user) {
    String token = node.userToken(org.orgId, user, "pw-" + user);
    Response listed = node.get("/api/v1/me/subscriptions", token);
    assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
    return listed.json().findValuesAsText("listId");
  }
}
