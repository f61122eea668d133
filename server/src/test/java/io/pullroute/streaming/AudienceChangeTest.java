package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.auth.Principal;
import io.pullroute.config.Config;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.events.EventDraft;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.events.Joined;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A change of what a user hears (a subscription, a join …) that commits while a poll reads what the
 * user hears: the poll may go on with what the user heard before, and pass over the events of the
 * new list. The change takes the session's cursor back to before its commit, so the next poll reads
 * them again, and hands out only what it did not hand out before.
 */
class AudienceChangeTest {
  // Longer than any test: a poll that waits it out fails its test.
  private static final Duration POLL_WAIT = Duration.ofMinutes(5);

  private TestServer server;
  private StreamingService streaming;
  private String orgId;
  private Principal agent;
  private StreamingService.Directory directory;
  // What u1 is subscribed to, and what happens while a poll reads it (once).
  private final AtomicReference<Set<String>> lists = new AtomicReference<>(Set.of());
  private final AtomicReference<Consumer<String>> whileRead = new AtomicReference<>();
  private final AtomicInteger reads = new AtomicInteger();

  @BeforeEach
  void start() {
    server = TestServer.start(StoreKind.H2);
    orgId = server.http().createOrganization("audience-change").orgId();
    agent =
        new Principal(
            Principal.Kind.USER, orgId, "u1", "agent", Set.of("agent"), Set.of("streamingapi"));
    StreamingService.Directory directory =
        new StreamingService.Directory() {
          @Override
          public Joined joined(String userId) {
            reads.incrementAndGet();
            Set<String> read = lists.get();
            Consumer<String> during = whileRead.getAndSet(null);
            if (during != null) {
              during.accept(userId);
            }
            return new Joined(read, Set.of(), null);
          }

          @Override
          public boolean mayWorkOn(Principal principal, String listId) {
            return true;
          }

          @Override
          public boolean isParticipant(Principal principal, String conversationId) {
            return true;
          }
        };
    streaming = service(directory);
  }

  private StreamingService service(StreamingService.Directory directory) {
    return service(directory, Duration.ZERO);
  }

  /** With {@code recheck}: as on a store shared by nodes (see StreamingService#recheck). */
  private StreamingService service(StreamingService.Directory directory, Duration recheck) {
    this.directory = directory;
    return new StreamingService(
        new JdbiStreamingRepository(server.server().database().jdbi()),
        directory,
        server.server().hub(),
        type -> true,
        server.clock(),
        POLL_WAIT,
        Config.StreamingLimits.DEFAULT,
        recheck);
  }

  /** This node stops and another (or this one again) takes the session from the store. */
  private void restart() {
    streaming.close();
    streaming = service(directory);
  }

  @AfterEach
  void stop() {
    streaming.close();
    server.close();
  }

  @Test
  void an_event_of_a_list_subscribed_while_a_poll_reads_the_keys_is_heard_at_the_next_poll()
      throws Exception {
    String session = streaming.create(agent, 3, null, false).id();
    whileRead.set(
        userId -> {
          // u1 subscribes to L1: committed after this read, announced now.
          long mark = streaming.audienceMark();
          lists.set(Set.of("L1"));
          streaming.audienceChanged(userId, mark);
        });

    CompletableFuture<List<Event>> first = streaming.poll(agent, 3, session, 10);
    Event onL1 = publish(Audience.list("L1"));
    // It would wait with what u1 heard before: it ends, and the client comes back.
    assertThat(first.get(10, TimeUnit.SECONDS)).isEmpty();
    List<Event> next = streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS);

    assertThat(next).extracting(Event::id).contains(onL1.id());
  }

  @Test
  void events_read_again_after_a_change_are_handed_out_once() throws Exception {
    String session = streaming.create(agent, 3, null, false).id();
    long mark = streaming.audienceMark();
    Event mine = publish(Audience.user("u1"));
    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .contains(mine.id());

    // A change that committed after the mark, announced after u1 heard the event.
    lists.set(Set.of("L1"));
    streaming.audienceChanged("u1", mark);
    Event onL1 = publish(Audience.list("L1"));

    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .contains(onL1.id())
        .doesNotContain(mine.id());
  }

  @Test
  void a_poll_that_overlaps_a_change_moves_the_cursor_up_to_the_changes_mark() throws Exception {
    String session = streaming.create(agent, 3, null, false).id();
    List<String> published = publishToU1(100);
    // A change after all of them, while the poll reads the keys: they were matched rightly.
    whileRead.set(userId -> streaming.audienceChanged(userId, streaming.audienceMark()));

    assertThat(streaming.poll(agent, 3, session, 100).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactlyElementsOf(published);
    Event next = publish(Audience.user("u1"));
    assertThat(streaming.poll(agent, 3, session, 100).get(10, TimeUnit.SECONDS))
        .as("the 100 handed out already do not come again (more than the 64 remembered)")
        .extracting(Event::id)
        .containsExactly(next.id());
  }

  @Test
  void a_poll_that_reads_again_only_what_was_handed_out_waits_on_for_the_rest() throws Exception {
    String session = streaming.create(agent, 3, null, false).id();
    long mark = streaming.audienceMark();
    List<String> published = publishToU1(20);
    assertThat(streaming.poll(agent, 3, session, 50).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactlyElementsOf(published);
    lists.set(Set.of("L1"));
    streaming.audienceChanged("u1", mark);
    Event onL1 = publish(Audience.list("L1"));

    assertThat(streaming.poll(agent, 3, session, 2).get(10, TimeUnit.SECONDS))
        .as("not an empty answer for each 2 of the 20 read again")
        .extracting(Event::id)
        .containsExactly(onL1.id());
  }

  @Test
  void with_acknowledgement_what_a_change_reads_again_comes_in_commit_order_with_the_pending()
      throws Exception {
    Passed passed = heardMinePassedOverL1(true);
    String session = passed.session();
    Event onL1 = passed.onL1();
    Event mine = passed.mine();

    lists.set(Set.of("L1"));
    streaming.audienceChanged("u1", passed.mark());

    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactly(onL1.id(), mine.id());
  }

  @Test
  void with_acknowledgement_a_poll_overtaken_by_a_change_stores_the_cursor_of_before_the_change()
      throws Exception {
    String session = streaming.create(agent, 3, null, true).id();
    AtomicReference<Event> onL1 = new AtomicReference<>();
    AtomicReference<Event> mine = new AtomicReference<>();
    whileRead.set(
        userId -> {
          long mark = streaming.audienceMark();
          onL1.set(publish(Audience.list("L1")));
          lists.set(Set.of("L1"));
          mine.set(publish(Audience.user("u1")));
          awaitHub(mine.get());
          streaming.audienceChanged(userId, mark);
        });
    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .as("heard with the keys of before the change")
        .extracting(Event::id)
        .containsExactly(mine.get().id());

    restart();

    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .as("after a restart, from the store")
        .extracting(Event::id)
        .containsExactly(onL1.get().id(), mine.get().id());
  }

  /**
   * A change takes the cursor back behind the one already in the store: the store takes it back
   * too, so a node that stops before the session's next poll does not lose what the change makes it
   * hear. Before, the stored cursor only moved forward, and the event of the new list was lost.
   */
  @Test
  void a_cursor_taken_back_by_a_change_is_taken_back_in_the_store() throws Exception {
    Passed passed = heardMinePassedOverL1(false);
    String session = passed.session();
    Event onL1 = passed.onL1();
    streaming.flush(); // as every 5 s: the store has the cursor past both

    lists.set(Set.of("L1"));
    streaming.audienceChanged("u1", passed.mark());
    restart();

    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .as("after a restart, from the store (u1's own again: at least once)")
        .extracting(Event::id)
        .contains(onL1.id());
  }

  /**
   * A node's check finds that the user hears a list another node subscribed it to, and takes the
   * cursor back; the next poll must hear the list. While the check read the keys, this node changed
   * what another user hears, so the fresh keys were not cached: the poll took the older cached
   * ones, without the list, and passed over its events again, for good (a stress run lost 31 events
   * this way). Now keys that cannot be cached forget the older ones.
   */
  @Test
  void a_check_that_reads_new_keys_while_another_users_change_happens_is_heard_with_them()
      throws Exception {
    streaming.close();
    streaming = service(directory, Duration.ofSeconds(5));
    String session = streaming.create(agent, 3, null, false).id();
    Event before = publish(Audience.user("u1"));
    awaitHub(before);
    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactly(before.id()); // u1's keys, without L1, cached

    lists.set(Set.of("L1")); // subscribed through another node: this one is not told
    Event onL1 = publish(Audience.list("L1"));
    awaitHub(onL1);
    server.clock().advance(Duration.ofSeconds(5));
    whileRead.set(userId -> streaming.audienceChanged("u2", streaming.audienceMark()));

    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactly(onL1.id());
  }

  private record Passed(String session, long mark, Event onL1, Event mine) {}

  /**
   * A new session that heard an event of u1's after passing over one of list L1 (u1 hears no list
   * yet), both after {@code mark}.
   */
  private Passed heardMinePassedOverL1(boolean acknowledge) throws Exception {
    String session = streaming.create(agent, 3, null, acknowledge).id();
    long mark = streaming.audienceMark();
    Event onL1 = publish(Audience.list("L1"));
    Event mine = publish(Audience.user("u1"));
    awaitHub(mine);
    assertThat(streaming.poll(agent, 3, session, 10).get(10, TimeUnit.SECONDS))
        .extracting(Event::id)
        .containsExactly(mine.id());
    return new Passed(session, mark, onL1, mine);
  }

  /** Publishes {@code count} events to u1 and waits until the hub has them; answers their ids. */
  private List<String> publishToU1(int count) {
    List<String> ids = new ArrayList<>();
    Event last = null;
    for (int i = 0; i < count; i++) {
      last = publish(Audience.user("u1"));
      ids.add(last.id());
    }
    awaitHub(last);
    return ids;
  }

  /** Until the hub has {@code event}: appended straight to the log, it comes through the tailer. */
  private void awaitHub(Event event) {
    long seq = event.seq();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.server().hub().headSeq() >= seq);
  }

  /**
   * What a user hears is cached for seconds, and forgotten when it changes. Keys read while a
   * change happens are not cached: the change's commit may come after the reads and its forgetting
   * before they are cached, which left them stale for the cache's lifetime.
   */
  @Test
  void keys_read_while_what_the_user_hears_changes_are_read_again_at_the_next_poll()
      throws Exception {
    String session = streaming.create(agent, 3, null, false).id();
    publish(Audience.user("u1"));
    publish(Audience.user("u1"));
    whileRead.set(userId -> streaming.audienceChanged(userId, streaming.audienceMark()));
    int before = reads.get();

    streaming.poll(agent, 3, session, 1).get(10, TimeUnit.SECONDS);
    streaming.poll(agent, 3, session, 1).get(10, TimeUnit.SECONDS);

    assertThat(reads.get() - before).as("the user's lists read at each poll").isEqualTo(2);
  }

  private Event publish(String audience) {
    EventDraft draft =
        new EventDraft("outreach.status", "lists", "L1", Set.of(audience), "{\"n\":1}");
    List<Event> appended =
        server
            .server()
            .database()
            .jdbi()
            .inTransaction(
                handle -> JdbiEventLog.append(handle, Instant.now(), orgId, null, List.of(draft)));
    return appended.getFirst();
  }
}
