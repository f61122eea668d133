package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.TwoNodes;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Join and close decide who may act on the request as locked, on one PostgreSQL store shared by two
 * nodes. A command through the second node that changes the request is stopped just before its
 * commit (it holds the request's row lock); a join or close through the first reads the request
 * meanwhile, as it was before, and then waits for the lock.
 */
class TwoNodesAuthorizationRaceTest extends TwoNodes {
  static int orgs;

  /**
   * Supervisor s1 puts a request of the list Open (anyone may work on it) into the Team's workbin
   * (the list Owned) through the second node; agent a3, not of Team, joins it through the first.
   * The join is refused (403): the request is on Owned when it is locked. Before, the join checked
   * the list it had read before the lock and a3 joined a request of a list it may not work on.
   */
  @Test
  void a_join_racing_a_move_to_a_list_the_agent_may_not_work_on_is_refused() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "authorization-" + ++orgs);
    String id = org.intake(org.openChannel, 0);

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> org.supervisorPutsInTeamWorkbin(second.http(), id),
            () -> org.join("a3", id),
            HeldCommits.LOCKING_REQUESTS);

    Response moved = answers.get(0);
    assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
    Response joined = answers.get(1);
    assertThat(joined.status()).as(joined.toString()).isEqualTo(403);
    JsonNode request = org.read(id);
    assertThat(request.get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(request.get("participants")).isEmpty();
  }

  /**
   * Agent a1 leaves a request that a2 is also in, through the second node, and closes it through
   * the first. The close is refused (403): a1 is no participant of the request as locked. Before,
   * the close checked the participants it had read before the lock, and a1 closed a request it had
   * left, with a2 in it.
   */
  @Test
  void a_close_racing_the_closers_own_leave_is_refused() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "authorization-" + ++orgs);
    String id = org.intake(org.openChannel, 0);
    assertThat(org.join("a1", id).status()).isEqualTo(200);
    assertThat(org.join("a2", id).status()).isEqualTo(200);

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> second.http().post("/api/v1/conversations/" + id + "/leave", org.token("a1"), ""),
            () -> org.close(org.token("a1"), id),
            HeldCommits.LOCKING_REQUESTS);

    Response left = answers.get(0);
    assertThat(left.status()).as(left.toString()).isEqualTo(200);
    Response closed = answers.get(1);
    assertThat(closed.status()).as(closed.toString()).isEqualTo(403);
    JsonNode request = org.read(id);
    assertThat(request.get("state").asText()).isEqualTo("ACTIVE");
    assertThat(request.get("participants")).hasSize(1);
  }
}
