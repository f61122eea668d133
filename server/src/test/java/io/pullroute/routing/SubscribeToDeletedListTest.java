package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * A subscribe racing the deletion of its list (through another node, which this node has not heard
 * of yet): it waits for the deletion's lock on the list, then finds the list gone and answers 404,
 * leaving no subscription behind, rather than a store error.
 */
class SubscribeToDeletedListTest {
  @Test
  void a_subscribe_that_waited_for_its_lists_deletion_is_a_404() throws Exception {
    try (TestServer server = TestServer.start(StoreKind.POSTGRES);
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      RoutingFixture org = new RoutingFixture(server.http(), "subscribe-deleted");
      Response created =
          org.http.post("/api/v1/lists", org.admin, Map.of("name", "Doomed", "agentGroup", "Team"));
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      String doomed = created.json().get("id").asText();
      String path = "/api/v1/me/subscriptions/" + doomed;

      Future<Response> subscribing;
      try (Handle other = server.server().database().jdbi().open()) {
        other.begin();
        // Another node deletes the list; this node still knows it.
        other.createUpdate("DELETE FROM work_list WHERE id = :id").bind("id", doomed).execute();
        subscribing = callers.submit(() -> org.http.put(path, org.token("a1"), ""));
        HeldCommits.awaitWaiting(server, "FROM work_list", 1);
        other.commit();
      }

      Response answer = subscribing.get(30, TimeUnit.SECONDS);
      assertThat(answer.status()).as(answer.toString()).isEqualTo(404);
      assertThat(answer.json().at("/errors/0/scope").asText()).isEqualTo("list");
      Response lists = org.http.get("/api/v1/me/subscriptions", org.token("a1"));
      assertThat(lists.json().findValuesAsText("listId")).doesNotContain(doomed);
      Integer rows =
          server
              .server()
              .database()
              .jdbi()
              .withHandle(
                  handle ->
                      handle
                          .createQuery("SELECT COUNT(*) FROM list_subscription WHERE list_id = :id")
                          .bind("id", doomed)
                          .mapTo(Integer.class)
                          .one());
      assertThat(rows).isZero();
    }
  }
}
