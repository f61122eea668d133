package io.pullroute.workbins;

import static io.pullroute.workbins.WorkbinFixture.TEAM;
import static io.pullroute.workbins.WorkbinFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.TwoNodes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AddInteraction on one node racing a pull of the same interaction on another, both nodes on one
 * PostgreSQL store. The pull is stopped just before its commit (it holds the request's row lock);
 * the add reads the request meanwhile, as committed before the pull, and then waits for the lock.
 */
class TwoNodesAddRaceTest extends TwoNodes {

  /**
   * Who holds the request is read with its row lock. Before, AddInteraction read it before taking
   * the lock: an agent's AddInteraction to its own workbin, racing its own pull of the request
   * through another node, found the request on its list, and both succeeded, the add announcing a
   * second ItemAdded of the request to the agent's workbin. Now the add sees the pull's commit and
   * is refused, as it is after the pull (409, statusCode 2).
   */
  @Test
  void an_add_to_the_own_workbin_racing_a_pull_of_the_request_through_another_node_is_refused()
      throws Exception {
    WorkbinFixture org = new WorkbinFixture(first.http(), "add-race");
    String chat = org.intake(org.webChannel);
    long mark = EventsSeen.mark(first.server());

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> pullThroughTheSecondNode(org, chat),
            () -> org.operate("a1", org.id("a1"), null, "AddInteraction", chat),
            HeldCommits.LOCKING_REQUESTS);
    Response pulled = answers.get(0);
    Response added = answers.get(1);

    succeeded(pulled);
    assertThat(added.status()).as(added.toString()).isEqualTo(409);
    assertThat(added.json().get("statusCode").asInt()).as(added.toString()).isEqualTo(2);
    assertThat(WorkbinFixture.allIds(org.ownContent("a1"))).containsExactly(chat);
    List<Event> itemsAdded =
        EventsSeen.after(first.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals("workbin.ItemAdded"))
            .toList();
    assertThat(itemsAdded).as("the pull's, to a1's workbin").hasSize(1);
  }

  /**
   * An agent's AddInteraction of a request to its group's workbin, racing its own pull of it
   * through another node, puts it back on the list after the pull, and tells the agent's own
   * workbin that it left (ItemRemoved there), as an add after the pull does. Before, the add took
   * the holder it had read before the lock (none), and the agent's workbin never heard that the
   * request had left it.
   */
  @Test
  void an_add_to_the_groups_workbin_racing_a_pull_through_another_node_empties_the_agents_workbin()
      throws Exception {
    WorkbinFixture org = new WorkbinFixture(first.http(), "add-race-group");
    String chat = org.intake(org.webChannel);
    long mark = EventsSeen.mark(first.server());

    List<Response> answers =
        HeldCommits.race(
            first,
            () -> pullThroughTheSecondNode(org, chat),
            () -> org.operate("a1", org.ownedList, TEAM, "AddInteraction", chat),
            HeldCommits.LOCKING_REQUESTS);
    Response pulled = answers.get(0);
    Response added = answers.get(1);

    succeeded(pulled);
    succeeded(added);
    assertThat(org.onList(org.ownedList)).containsExactly(chat);
    assertThat(WorkbinFixture.allIds(org.ownContent("a1"))).isEmpty();
    List<String> removedFrom =
        EventsSeen.after(first.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals("workbin.ItemRemoved"))
            .map(event -> EventsSeen.payload(event).get("id").asText())
            .toList();
    assertThat(removedFrom)
        .as("the pull's, from the Team workbin; the add's, from a1's")
        .containsExactlyInAnyOrder(org.ownedList, org.id("a1"));
  }

  /** a1's PullInteraction of {@code chat} from the Team workbin, through the second node. */
  private static Response pullThroughTheSecondNode(WorkbinFixture org, String chat) {
    return second
        .http()
        .post(
            WorkbinFixture.path(org.ownedList, TEAM, null),
            org.token("a1"),
            Map.of("operationName", "PullInteraction", "id", chat));
  }
}
