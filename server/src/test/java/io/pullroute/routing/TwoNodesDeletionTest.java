package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.TwoNodes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * A user or a channel deleted while a command of another node that refers to it is under way, on
 * one PostgreSQL store: the command read it before the deletion committed and writes a row that
 * refers to it after. The store refuses the write; the answer is a 409 naming what is missing
 * (reason {@code missingReference}), not a 500.
 */
class TwoNodesDeletionTest extends TwoNodes {
  static int orgs;

  private static void missing(Response response, String what) {
    assertThat(response.status()).as(response.toString()).isEqualTo(409);
    JsonNode error = response.json().get("errors").get(0);
    assertThat(error.get("scope").asText()).as(response.toString()).isEqualTo(what);
    assertThat(error.get("reason").asText()).as(response.toString()).isEqualTo("missingReference");
    assertThat(response.json().get("message").asText()).contains(what).contains("no longer exists");
  }

  /**
   * The deletion of agent a3 through the second node is stopped just before its commit (it has
   * deleted the row); a3's join through the first node finds a3 and the request, and its write of
   * a3's state waits for the deleted row, then finds it gone.
   */
  @Test
  void a_join_by_a_user_deleted_meanwhile_through_another_node_is_a_409_naming_the_user()
      throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "deletion-" + ++orgs);
    String id = org.intake(org.openChannel, 0);

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> second.http().delete("/api/v1/users/" + org.id("a3"), org.admin),
            () -> org.join("a3", id),
            "agent_state");
    Response deleted = answers.get(0);
    Response joined = answers.get(1);

    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    missing(joined, "user");
    assertThat(org.read(id).get("state").asText()).isEqualTo("UNREAD");
    assertThat(org.read(id).get("participants")).isEmpty();
  }

  /**
   * A channel deleted (as {@code DELETE /api/v1/channels/{id}} does) in a transaction that commits
   * while an intake on it, which found the channel, waits to write its request.
   */
  @Test
  void an_intake_on_a_channel_deleted_meanwhile_is_a_409_naming_the_channel() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "deletion-" + ++orgs);
    Response created =
        org.http.post(
            "/api/v1/channels",
            org.admin,
            Map.of(
                "name",
                "doomed",
                "channelType",
                "WEB",
                "routingMode",
                "PULL",
                "listId",
                org.openList));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String channel = created.json().get("id").asText();

    Response intake;
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        Handle deletion = first.server().database().jdbi().open()) {
      deletion.begin();
      assertThat(
              deletion
                  .createUpdate("DELETE FROM channel WHERE org_id = :org AND id = :id")
                  .bind("org", org.orgId)
                  .bind("id", channel)
                  .execute())
          .isEqualTo(1);
      Future<Response> parked = callers.submit(() -> intake(org, channel));
      HeldCommits.awaitWaiting(first, "INSERT INTO conversation", 1);
      deletion.commit();
      intake = parked.get(30, TimeUnit.SECONDS);
    }

    missing(intake, "channel");
  }

  private static Response intake(RoutingFixture org, String channel) {
    return org.http.post(
        "/api/v1/channels/" + channel + "/conversations",
        org.admin,
        Map.of("customer", Map.of("firstName", "Dave"), "channelCustomerIdentifier", "0991222"));
  }
}
