package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.HeldCommits;
import io.pullroute.testing.TwoNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The routing timers of two nodes on one PostgreSQL store, each running every second on the same
 * clock, racing each other and the commands of the other node.
 */
class TwoNodesTimersTest extends TwoNodes {
  static int orgs;

  /**
   * A customer's text through the second node is stopped just before its commit (it holds the
   * request's row lock); the clock then passes the deadline the first node's timer reads, which the
   * text is about to move, and the timer waits for the lock. The deadline is read again under the
   * lock: the text moved it, and the request stays open. Before, the timer closed it on the
   * deadline it had read before the text.
   */
  @Test
  void a_customer_text_committed_while_the_inactivity_timer_waits_for_the_request_keeps_it_open()
      throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "two-node-timers-" + ++orgs);
    Response timeout =
        org.http.patch(
            "/api/v1/channels/" + org.openChannel,
            org.admin,
            Map.of("customerActivityTimeout", 300));
    assertThat(timeout.status()).as(timeout.toString()).isEqualTo(200);
    String id = org.intake(org.openChannel, 0);
    assertThat(org.join("a1", id).status()).isEqualTo(200);
    first.clock().advance(Duration.ofSeconds(200));

    Response text;
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        HeldCommits held = HeldCommits.hold(first)) {
      Future<Response> said =
          callers.submit(
              () ->
                  second
                      .http()
                      .post(
                          "/api/v1/conversations/" + id + "/messages",
                          org.admin,
                          Map.of("text", "still there")));
      held.awaitWaiting(HeldCommits.APPENDING, 1);
      // Due by the intake's deadline (300 s), not by the text's (500 s).
      first.clock().advance(Duration.ofSeconds(101));
      Future<Integer> timers = callers.submit(() -> first.server().timers().runDue());
      held.awaitWaiting(HeldCommits.LOCKING_REQUESTS, 1);
      held.close();
      text = said.get(30, TimeUnit.SECONDS);
      timers.get(30, TimeUnit.SECONDS);
    }

    assertThat(text.status()).as(text.toString()).isEqualTo(201);
    second.server().timers().runDue();
    first.server().timers().runDue();
    assertThat(org.read(id).get("state").asText()).isEqualTo("ACTIVE");
  }

  /**
   * Both nodes' timers find the same reminder due: the first to lock the request is stopped just
   * before its commit, and the second, which read the request as due before that commit, waits for
   * the lock. The reminder is sent once: the second finds it claimed (moved to the next interval).
   * Before, each node sent it, and subscribers heard every reminder twice whenever the nodes'
   * timers met.
   */
  @Test
  void a_reminder_due_on_two_nodes_is_sent_once() throws Exception {
    RoutingFixture org = new RoutingFixture(first.http(), "two-node-timers-" + ++orgs);
    Response reminder =
        org.http.patch("/api/v1/lists/" + org.openList, org.admin, Map.of("reminderAfter", 60));
    assertThat(reminder.status()).as(reminder.toString()).isEqualTo(200);
    String id = org.intake(org.openChannel, 0);
    long mark = EventsSeen.mark(first.server());

    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        HeldCommits held = HeldCommits.hold(first)) {
      first.clock().advance(Duration.ofSeconds(61));
      // Each node's timer also runs every second on its own; a node runs one at a time.
      List<Future<Integer>> runs =
          List.of(
              callers.submit(() -> first.server().timers().runDue()),
              callers.submit(() -> second.server().timers().runDue()));
      held.awaitWaiting(HeldCommits.APPENDING, 1);
      held.awaitWaiting(HeldCommits.LOCKING_REQUESTS, 1);
      held.close();
      for (Future<Integer> run : runs) {
        run.get(30, TimeUnit.SECONDS);
      }
    }

    List<Event> reminders =
        EventsSeen.after(first.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals("pullMode.ListRequestUpdated"))
            .toList();
    assertThat(reminders).hasSize(1);
    assertThat(EventsSeen.pullModeEvent(reminders.getFirst()).get("id").asText()).isEqualTo(id);
  }

  /**
   * A supervisor moves a request whose reminder is due to a list without reminders, through the
   * second node, stopped just before its commit; the first node's timer, which read the request on
   * its old list, waits for its lock. The list the request is on as locked decides: no reminder is
   * sent. Before, the timer took the interval of the list it had read before the lock and reminded
   * the new list's subscribers of a request that list never reminds of.
   */
  @Test
  void a_request_moved_to_a_list_without_reminders_as_its_reminder_falls_due_is_not_reminded()
      throws Exception {
    // What the tests before left due is done first (their reminders come again in 60 s), so that
    // only this request is due below: a timer stopped on another request would hold up the rest.
    first.clock().advance(Duration.ofHours(1));
    first.server().timers().runDue();
    second.server().timers().runDue();
    RoutingFixture org = new RoutingFixture(first.http(), "two-node-timers-" + ++orgs);
    Response reminder =
        org.http.patch("/api/v1/lists/" + org.openList, org.admin, Map.of("reminderAfter", 30));
    assertThat(reminder.status()).as(reminder.toString()).isEqualTo(200);
    String id = org.intake(org.openChannel, 0);
    long mark = EventsSeen.mark(first.server());

    Response moved;
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        HeldCommits held = HeldCommits.hold(first)) {
      Future<Response> move =
          callers.submit(() -> org.supervisorPutsInTeamWorkbin(second.http(), id));
      held.awaitWaiting(HeldCommits.APPENDING, 1);
      first.clock().advance(Duration.ofSeconds(31));
      Future<Integer> timers = callers.submit(() -> first.server().timers().runDue());
      held.awaitWaiting(HeldCommits.LOCKING_REQUESTS, 1);
      held.close();
      moved = move.get(30, TimeUnit.SECONDS);
      timers.get(30, TimeUnit.SECONDS);
    }

    assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
    first.server().timers().runDue();
    second.server().timers().runDue();
    assertThat(org.read(id).get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(
            EventsSeen.after(first.server(), org.orgId, mark).stream()
                .filter(event -> event.type().equals("pullMode.ListRequestUpdated")))
        .as("reminders")
        .isEmpty();
  }
}
