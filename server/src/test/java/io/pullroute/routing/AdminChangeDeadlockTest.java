package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * An administrator's change that ends subscriptions, rolled back by PostgreSQL to break a deadlock
 * with a transaction holding one of those subscriptions (as a group of routing commands with an
 * unsubscribe and then a subscribe does), runs again and succeeds instead of answering a 500.
 */
class AdminChangeDeadlockTest {
  @Test
  void a_change_the_store_rolls_back_to_break_a_deadlock_runs_again() throws Exception {
    try (TestServer server = TestServer.start(StoreKind.POSTGRES);
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      RoutingFixture org = new RoutingFixture(server.http(), "deadlock");
      Response subscribed =
          org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("a1"), "");
      assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(200);
      String team =
          org.http.get("/api/v1/agent-groups", org.admin).json().get(0).get("id").asText();

      Future<Response> removed;
      try (Handle other = server.server().database().jdbi().open()) {
        other.begin();
        // This transaction never looks for the deadlock itself: the change, waiting first, does.
        other.execute("SET LOCAL deadlock_timeout = '60s'");
        other
            .createQuery(
                "SELECT user_id FROM list_subscription WHERE user_id = :user AND list_id = :list"
                    + " FOR UPDATE")
            .bind("user", org.id("a1"))
            .bind("list", org.ownedList)
            .mapTo(String.class)
            .one();
        // a1 leaves Team: the change updates Team's row, then waits to end a1's subscription.
        removed =
            callers.submit(
                () ->
                    org.http.patch(
                        "/api/v1/agent-groups/" + team,
                        org.admin,
                        Map.of("members", List.of(org.id("a2")))));
        HeldCommits.awaitWaiting(server, "DELETE FROM list_subscription", 1);
        // Waits for Team's row in turn: a deadlock, which the store breaks by rolling the change
        // back (this returns once it has), and the change runs again after this commits.
        other
            .createQuery("SELECT id FROM agent_group WHERE id = :group FOR SHARE")
            .bind("group", team)
            .mapTo(String.class)
            .one();
        other.commit();
      }

      Response answer = removed.get(30, TimeUnit.SECONDS);
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      Response lists = org.http.get("/api/v1/me/subscriptions", org.token("a1"));
      assertThat(lists.json().findValuesAsText("listId")).isEmpty();
    }
  }
}
