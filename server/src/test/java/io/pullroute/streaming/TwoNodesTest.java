package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.ids;
import static io.pullroute.streaming.StreamingFixture.list;
import static io.pullroute.streaming.StreamingFixture.outreachStatus;
import static io.pullroute.streaming.StreamingFixture.pullModeEvent;
import static io.pullroute.streaming.StreamingFixture.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StatementCounts;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One streaming session polled through two nodes on one PostgreSQL store, as a load balancer
 * without sticky sessions sends it (DESIGN.md: any node serves any poll).
 */
class TwoNodesTest {
  static TestServer first;
  static TestServer second;

  @BeforeAll
  static void start() {
    first =
        TestServer.start(StoreKind.POSTGRES, config -> config.withPollWait(Duration.ofMillis(300)));
    second = first.anotherNode();
  }

  @AfterAll
  static void stop() {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
  }

  /**
   * Each node keeps the session's unacknowledged events and its cursor in memory, and writes the
   * cursor to the store in batches: an event acknowledged through one node may come again from the
   * other (at least once). Acknowledged there too, it stays acknowledged. Before, a node kept an
   * event acknowledged elsewhere pending for good: the store no longer had it, so acknowledging it
   * answered "not found" and left it in the node's memory, and every poll there returned it again.
   */
  @Test
  void an_event_acknowledged_through_either_node_stops_coming_from_both() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes");
    StreamingFixture onSecond = onFirst.on(second);
    String session = onFirst.sessionV3(onFirst.admin, true);
    onFirst.subscribed(
        onFirst.admin,
        3,
        session,
        StreamingFixture.criteria("outreach", List.of("all"), "*", List.of()));
    String event = onFirst.publishOutreach(1);
    onFirst.settle();
    onSecond.settle();

    assertThat(ids(onFirst.events(onFirst.admin, 3, session, 5))).containsExactly(event);
    Response acknowledged = onSecond.acknowledgeIds(onSecond.admin, session, List.of(event));
    assertThat(acknowledged.status()).as(acknowledged.toString()).isEqualTo(200);
    assertThat(ids(onFirst.events(onFirst.admin, 3, session, 5)))
        .as("once more from the first node, which did not hear of the acknowledgement")
        .containsExactly(event);

    // A client that acknowledges what each poll returns, alternating nodes: the event may come
    // again once from each node, and then from neither.
    List<List<String>> answers = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (StreamingFixture node : List.of(onFirst, onSecond)) {
        first.clock().advance(Duration.ofSeconds(1));
        List<String> returned = ids(node.events(node.admin, 3, session, 5));
        answers.add(returned);
        if (!returned.isEmpty()) {
          assertThat(node.acknowledgeIds(node.admin, session, returned).status()).isEqualTo(200);
        }
      }
    }
    assertThat(answers).as("first, second, first, second …").allMatch(List.of(event)::containsAll);
    assertThat(answers.subList(2, answers.size()))
        .as("after each node's first poll")
        .allMatch(List::isEmpty);
  }

  /**
   * A new session of the admin client without acknowledgement, polled once through the first node.
   */
  private static String heldByFirst(StreamingFixture onFirst) {
    String session = onFirst.sessionV3(onFirst.admin, false);
    assertThat(onFirst.events(onFirst.admin, 3, session, 5)).as("held by the first node").isEmpty();
    return session;
  }

  /**
   * A node holding a session reads its subscriptions again from the store at its first call after
   * {@link StreamingService#SHARED_STORE_RECHECK}. A subscription saved through another node is
   * heard there from then on, and so are the events it selects that the node passed over meanwhile
   * (its cursor goes back to the last check). Before, the node kept the subscriptions it had read
   * first.
   */
  @Test
  void a_subscription_saved_through_one_node_is_heard_through_the_other_from_its_saving() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-subscribed");
    StreamingFixture onSecond = onFirst.on(second);
    String session = heldByFirst(onFirst);

    onSecond.subscribed(
        onSecond.admin,
        3,
        session,
        StreamingFixture.criteria("outreach", List.of("all"), "*", List.of()));
    String passed = onFirst.publishOutreach(1);
    onFirst.settle();
    assertThat(onFirst.events(onFirst.admin, 3, session, 5))
        .as("before the first node reads the subscriptions again")
        .isEmpty();

    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);
    String next = onFirst.publishOutreach(2);
    onFirst.settle();
    assertThat(ids(onFirst.events(onFirst.admin, 3, session, 5))).containsExactly(passed, next);
  }

  /**
   * A poll parked at the first node with the subscriptions it read before passes over the events of
   * a subscription saved through the second. When the first node's check takes the cursor back,
   * that poll ends, and moves the cursor nowhere: the next poll hears the passed-over event.
   * Before, the parked poll answered its next event later and moved the cursor past the passed-over
   * one, which was lost.
   */
  @Test
  void a_poll_parked_before_the_check_does_not_undo_its_going_back() throws Exception {
    try (TestServer one =
            TestServer.start(
                StoreKind.POSTGRES, config -> config.withPollWait(Duration.ofSeconds(60)));
        TestServer two = one.anotherNode()) {
      StreamingFixture onOne = new StreamingFixture(one, "two-nodes-parked");
      StreamingFixture onTwo = onOne.on(two);
      String session = heardCampaignC1(onOne, false).session();

      onTwo.subscribed(onTwo.admin, 3, session, campaign("c2"));
      String passed = onOne.publish("outreach.status", "campaigns", "c2", outreachStatus(2));
      onOne.settle();
      int waitingBefore = one.server().hub().waiting();
      CompletableFuture<Response> parked = onOne.pollAsync(onOne.admin, 3, session, 5);
      await("the parked poll")
          .atMost(Duration.ofSeconds(10))
          .until(() -> one.server().hub().waiting() > waitingBefore);

      one.clock().advance(StreamingService.SHARED_STORE_RECHECK);
      Response listed =
          onOne.call("GET", onOne.base(3) + "/subscriptions", onOne.admin, session, null);
      assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
      String after = onOne.publish("outreach.status", "campaigns", "c1", outreachStatus(3));
      onOne.settle();

      Response answered = parked.get(30, TimeUnit.SECONDS);
      assertThat(answered.status()).as(answered.toString()).isEqualTo(200);
      List<String> heard = new ArrayList<>(ids(list(answered.json().get("events"))));
      heard.addAll(ids(onOne.events(onOne.admin, 3, session, 5)));
      assertThat(heard).contains(passed, after);
    }
  }

  /**
   * With acknowledgement, the events a node's check takes the cursor back over may be pending
   * already: the next answer has each event once. Before, it had the pending event and the same
   * event read again.
   */
  @Test
  void events_come_once_in_an_answer_after_the_check_went_back_over_pending_ones() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-pending");
    StreamingFixture onSecond = onFirst.on(second);
    Held held = heardCampaignC1(onFirst, true);
    String session = held.session();
    String pending = held.event();

    onSecond.subscribed(onSecond.admin, 3, session, campaign("c2"));
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);

    assertThat(ids(onFirst.events(onFirst.admin, 3, session, 5))).containsExactly(pending);
  }

  private record Held(String session, String event) {}

  /**
   * A new session of the admin client subscribed to campaign c1 through {@code node}, which has
   * returned one event of it.
   */
  private static Held heardCampaignC1(StreamingFixture node, boolean acknowledge) {
    String session = node.sessionV3(node.admin, acknowledge);
    node.subscribed(node.admin, 3, session, campaign("c1"));
    String heard = node.publish("outreach.status", "campaigns", "c1", outreachStatus(1));
    node.settle();
    assertThat(ids(node.events(node.admin, 3, session, 5))).containsExactly(heard);
    return new Held(session, heard);
  }

  private static Map<String, Object> campaign(String id) {
    return StreamingFixture.criteria("outreach", List.of("all"), "campaigns", List.of(id));
  }

  /**
   * What a user hears without subscriptions (lists, conversations, workbins) changes with what it
   * does, and only the node that does it tells its own sessions. The first node reads it again at
   * its 5 s check, and hears from where its cursor was at the previous check: a request parked on a
   * list the agent subscribed to through the second node reaches the agent's session on the first,
   * though the first passed over it meanwhile. Before, it was lost to that session.
   */
  @Test
  void a_list_subscribed_to_through_one_node_is_heard_through_the_other() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-heard", "a1");
    StreamingFixture onSecond = onFirst.on(second);
    String agent = onFirst.token("a1");
    String session = onFirst.session(agent, 3);
    assertThat(onFirst.events(agent, 3, session, 5)).as("held by the first node").isEmpty();

    onSecond.subscribeToList("a1", onSecond.openList);
    String request = onFirst.intake(onFirst.openChannel, "hello");
    onFirst.settle();
    List<JsonNode> heard = new ArrayList<>(onFirst.events(agent, 3, session, 5));
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);
    heard.addAll(onFirst.events(agent, 3, session, 5));

    assertThat(
            heard.stream()
                .filter(event -> type(event).equals("pullMode.ListRequestReceived"))
                .map(event -> pullModeEvent(event).get("id").asText()))
        .contains(request);
  }

  /**
   * A node's check cannot tell a change made through itself from one made through another: after an
   * agent subscribes to a list, the check finds that the agent hears more, and takes the cursor
   * back to the previous check. What it reads again that the session was handed comes once, however
   * many events that is. Before, the session remembered only the last 64 events it was handed below
   * the cursor: of 100, 36 came twice.
   */
  @Test
  void events_read_again_after_a_check_are_handed_out_once_however_many() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-once", "a1");
    String agent = onFirst.token("a1");
    String session = onFirst.session(agent, 3);
    assertThat(onFirst.events(agent, 3, session, 5)).as("held by the first node").isEmpty();
    List<String> handedOut = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      handedOut.add(onFirst.publish("outreach.status", "users", onFirst.id("a1"), Map.of("n", i)));
    }
    onFirst.settle();
    assertThat(ids(onFirst.pollUntil(agent, 3, session, seen -> seen.size() >= 100)))
        .containsExactlyElementsOf(handedOut);

    onFirst.subscribeToList("a1", onFirst.openList);
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);
    String next = onFirst.publish("outreach.status", "users", onFirst.id("a1"), Map.of("n", 100));
    onFirst.settle();

    assertThat(ids(onFirst.events(agent, 3, session, 200)))
        .contains(next)
        .doesNotContainAnyElementsOf(handedOut);
  }

  /**
   * An agent that leaves a list through the node that holds its session and subscribes again
   * through another between two checks hears the same lists at both checks: the check also asks
   * when the agent last subscribed or joined, and goes back when that was since about the last
   * check. Before, it compared the lists only, and the list's events in between were lost (a stress
   * run lost up to 5 s of a list's events this way).
   */
  @Test
  void a_list_left_through_one_node_and_joined_again_through_the_other_is_heard_again() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-rejoined", "a1");
    StreamingFixture onSecond = onFirst.on(second);
    String agent = onFirst.token("a1");
    String session = onFirst.session(agent, 3);
    onFirst.subscribeToList("a1", onFirst.openList);
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);
    onFirst.events(agent, 3, session, 200); // a check: a1 hears the list
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK.multipliedBy(3));
    onFirst.events(agent, 3, session, 200); // a check long after the subscription

    Response left = onFirst.http().delete("/api/v1/me/subscriptions/" + onFirst.openList, agent);
    assertThat(left.status()).as(left.toString()).isBetween(200, 204);
    onFirst.events(agent, 3, session, 200); // the keys without the list
    onSecond.subscribeToList("a1", onSecond.openList);
    String event = onFirst.publish("outreach.status", "lists", onFirst.openList, Map.of("n", 1));
    onFirst.settle();
    List<String> heard = new ArrayList<>(ids(onFirst.events(agent, 3, session, 200)));
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);
    heard.addAll(ids(onFirst.events(agent, 3, session, 200)));

    assertThat(heard).contains(event);
  }

  /**
   * A check reads what the user joined (its lists, its conversations and when it last joined one)
   * in one statement. Before, it took three: the lists, the conversations, and the last join.
   */
  @Test
  void a_check_reads_what_the_user_joined_in_one_statement() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-reads", "a1");
    String agent = onFirst.token("a1");
    String session = onFirst.session(agent, 3);
    onFirst.subscribeToList("a1", onFirst.openList);
    onFirst.events(agent, 3, session, 200);
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);

    try (StatementCounts counts = StatementCounts.on(first.server().database().jdbi())) {
      AtomicInteger joinedReads =
          counts.started(
              statement ->
                  statement.getRawSql().contains("FROM list_subscription WHERE user_id")
                      || statement.getRawSql().contains("FROM participant WHERE user_id"));
      onFirst.events(agent, 3, session, 200);

      assertThat(joinedReads).hasValue(1);
    }
  }

  /** Likewise, a session deleted through another node is invalid at the node that held it. */
  @Test
  void a_session_deleted_through_one_node_is_invalid_at_the_other() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-deleted");
    StreamingFixture onSecond = onFirst.on(second);
    String session = heldByFirst(onFirst);

    Response deleted = onSecond.deleteSession(onSecond.admin, 3, session);
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    first.clock().advance(StreamingService.SHARED_STORE_RECHECK);

    Response poll = onFirst.poll(onFirst.admin, 3, session, 5);
    assertThat(poll.status()).as(poll.toString()).isEqualTo(400);
    assertThat(poll.json().get("message").asText()).isEqualTo(StreamingFixture.INVALID_SESSION);
  }

  /**
   * A session polled through the second node only, for longer than its inactivity delay since its
   * last poll through the first, is alive at the first node too: the first takes the last poll the
   * second wrote. Before, the first node expired it by its own last poll, and deleted it.
   */
  @Test
  void a_session_polled_through_one_node_does_not_expire_at_the_other() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-alive");
    String session = polledOnlyThroughTheSecondSince800Seconds(onFirst);

    Response poll = onFirst.poll(onFirst.admin, 3, session, 5);
    assertThat(poll.status()).as(poll.toString()).isEqualTo(200);
  }

  /**
   * Nor does the first node's housekeeping, which expires sessions idle in the store, delete it.
   */
  @Test
  void the_other_nodes_housekeeping_does_not_expire_a_session_polled_through_one_node() {
    StreamingFixture onFirst = new StreamingFixture(first, "two-nodes-housekept");
    String session = polledOnlyThroughTheSecondSince800Seconds(onFirst);

    first.server().streaming().expire();
    Response poll = onFirst.poll(onFirst.admin, 3, session, 5);
    assertThat(poll.status()).as(poll.toString()).isEqualTo(200);
  }

  /**
   * A session (inactivity delay 600 s) held by the first node and polled once, 800 s ago; 400 s ago
   * through the second node only, which has written that last poll to the store.
   */
  private static String polledOnlyThroughTheSecondSince800Seconds(StreamingFixture onFirst) {
    StreamingFixture onSecond = onFirst.on(second);
    String session = heldByFirst(onFirst);
    first.clock().advance(Duration.ofSeconds(400));
    assertThat(onSecond.events(onSecond.admin, 3, session, 5)).isEmpty();
    second.server().streaming().flush(); // as its housekeeping does every 5 s
    first.clock().advance(Duration.ofSeconds(400));
    return session;
  }
}
