package io.pullroute.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pullroute.store.Database;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The event hub (DESIGN.md §1) over a real event log: waiting consumers are completed by the events
 * that concern them and by nothing else, cursors move past what did not concern them, a newer poll
 * of the same owner ends the older one, and a cursor older than the ring is answered from the log.
 * Each test has a hub and organizations of its own on a store shared by the class.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class EventHubTest {
  private static final Duration LONG = Duration.ofSeconds(60);
  private static final Duration SHORT = Duration.ofMillis(300);
  private static final AtomicInteger ORGS = new AtomicInteger();

  @Parameter StoreKind store;

  static TestStores.Location location;
  static Database database;
  static Jdbi jdbi;

  private final List<EventHub> hubs = new ArrayList<>();

  @BeforeParameterizedClassInvocation
  static void open(StoreKind store) {
    location = TestStores.fresh(store);
    database = location.open();
    jdbi = database.jdbi();
  }

  @AfterParameterizedClassInvocation
  static void close() {
    if (database != null) {
      database.close();
      location.close();
    }
    database = null;
    location = null;
    jdbi = null;
  }

  @AfterEach
  void closeHubs() {
    hubs.forEach(EventHub::close);
  }

  // ---- (a) at once

  @Test
  void await_answers_at_once_with_the_matching_events_already_after_the_cursor() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    Event first = commit(hub, org, "list:A");
    commit(hub, org, "list:B");
    Event third = commit(hub, org, "list:A", "user:u");
    awaitPublished(hub, third);

    CompletableFuture<EventBatch> future =
        hub.await(Interest.of(org, Set.of("list:A")), start, 10, LONG, "owner");

    assertThat(future).isDone();
    EventBatch batch = future.get();
    assertThat(batch.events()).containsExactly(first, third);
    assertThat(batch.cursor()).isEqualTo(third.seq());
    assertThat(hub.waiting()).isZero();
  }

  @Test
  void await_answers_at_most_max_events_and_a_cursor_from_which_the_rest_follow() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(commit(hub, org, "list:A"));
    }
    awaitPublished(hub, events.getLast());
    Interest interest = Interest.of(org, Set.of("list:A"));

    EventBatch firstTwo = hub.await(interest, start, 2, LONG, "o").get(5, TimeUnit.SECONDS);
    assertThat(firstTwo.events()).containsExactlyElementsOf(events.subList(0, 2));
    assertThat(firstTwo.cursor()).isEqualTo(events.get(1).seq());

    EventBatch rest =
        hub.await(interest, firstTwo.cursor(), 10, LONG, "o").get(5, TimeUnit.SECONDS);
    assertThat(rest.events()).containsExactlyElementsOf(events.subList(2, 5));
  }

  // ---- (b) parked until a matching event

  @Test
  void a_parked_await_completes_on_a_matching_commit_while_a_waiter_on_another_key_stays_parked()
      throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    CompletableFuture<EventBatch> onA =
        hub.await(Interest.of(org, Set.of("list:A")), start, 10, LONG, "a");
    CompletableFuture<EventBatch> onB =
        hub.await(Interest.of(org, Set.of("list:B")), start, 10, LONG, "b");
    assertThat(onA).isNotDone();
    assertThat(onB).isNotDone();
    assertThat(hub.waiting()).isEqualTo(2);

    Event event = commit(hub, org, "list:A");

    EventBatch batch = onA.get(5, TimeUnit.SECONDS);
    assertThat(batch.events()).containsExactly(event);
    assertThat(batch.cursor()).isEqualTo(event.seq());
    assertThat(onB).as("an event on list:A does not wake a waiter on list:B").isNotDone();
    assertThat(hub.waiting()).isEqualTo(1);

    // The list:B owner polls again with a short wait: the long poll ends empty at once, the new
    // one after its wait, with its cursor past the list:A event.
    CompletableFuture<EventBatch> again =
        hub.await(Interest.of(org, Set.of("list:B")), start, 10, SHORT, "b");
    EventBatch superseded = onB.get(5, TimeUnit.SECONDS);
    assertThat(superseded.events()).isEmpty();
    EventBatch expired = again.get(5, TimeUnit.SECONDS);
    assertThat(expired.events()).isEmpty();
    assertThat(expired.cursor()).isEqualTo(event.seq());
    assertThat(hub.waiting()).isZero();
  }

  @Test
  void a_parked_await_ends_empty_after_its_wait_when_nothing_concerns_it() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();

    CompletableFuture<EventBatch> future =
        hub.await(Interest.of(org, Set.of("list:quiet")), start, 10, SHORT, null);

    EventBatch batch = future.get(5, TimeUnit.SECONDS);
    assertThat(batch.events()).isEmpty();
    assertThat(batch.cursor()).isEqualTo(start);
    assertThat(hub.waiting()).isZero();
  }

  @Test
  void a_commit_without_a_poke_still_reaches_a_parked_await_through_the_idle_poll()
      throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    CompletableFuture<EventBatch> future =
        hub.await(Interest.of(org, Set.of("list:A")), start, 10, LONG, null);

    // As another node's commit: nobody pokes this hub.
    Event event = append(org, "list:A");

    assertThat(future.get(10, TimeUnit.SECONDS).events()).containsExactly(event);
  }

  // ---- (c) one poll per owner

  @Test
  void a_second_await_of_the_same_owner_ends_the_first_with_an_empty_batch() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    Interest interest = Interest.of(org, Set.of("list:A"));
    CompletableFuture<EventBatch> first = hub.await(interest, start, 10, LONG, "session-1");
    CompletableFuture<EventBatch> other = hub.await(interest, start, 10, LONG, "session-2");

    CompletableFuture<EventBatch> second = hub.await(interest, start, 10, LONG, "session-1");

    EventBatch ended = first.get(5, TimeUnit.SECONDS);
    assertThat(ended.events()).isEmpty();
    assertThat(ended.cursor()).isEqualTo(start);
    assertThat(second).isNotDone();
    assertThat(other).as("another owner's poll is not ended").isNotDone();
    assertThat(hub.waiting()).isEqualTo(2);

    Event event = commit(hub, org, "list:A");
    assertThat(second.get(5, TimeUnit.SECONDS).events()).containsExactly(event);
    assertThat(other.get(5, TimeUnit.SECONDS).events()).containsExactly(event);
    assertThat(first.get().events()).as("the ended poll got nothing afterwards").isEmpty();
  }

  @Test
  void supersede_ends_the_waiting_poll_of_that_owner_only() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    Interest interest = Interest.of(org, Set.of("list:A"));
    CompletableFuture<EventBatch> mine = hub.await(interest, start, 10, LONG, "mine");
    CompletableFuture<EventBatch> theirs = hub.await(interest, start, 10, LONG, "theirs");

    hub.supersede("mine");

    assertThat(mine.get(5, TimeUnit.SECONDS).events()).isEmpty();
    assertThat(theirs).isNotDone();
    assertThat(hub.waiting()).isEqualTo(1);
  }

  // ---- (d) cursors move past what did not concern the consumer

  @Test
  void an_empty_result_moves_the_cursor_past_events_that_did_not_concern_the_waiter()
      throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    String otherOrg = newOrg();
    long start = hub.headSeq();
    commit(hub, org, "list:B");
    commit(hub, otherOrg, "list:A"); // same key, another organization
    Event last = commit(hub, org, "user:u");
    awaitPublished(hub, last);
    Interest interest = Interest.of(org, Set.of("list:A"));

    EventBatch read = hub.read(interest, start, 10);
    assertThat(read.events()).isEmpty();
    assertThat(read.cursor()).isEqualTo(last.seq());

    // Parked from the old cursor, it sees another unrelated event, then times out past both.
    CompletableFuture<EventBatch> parked = hub.await(interest, start, 10, LONG, "w");
    Event unrelated = commit(hub, org, "list:B");
    awaitPublished(hub, unrelated);
    CompletableFuture<EventBatch> expiring = hub.await(interest, start, 10, SHORT, "w");
    assertThat(parked.get(5, TimeUnit.SECONDS).events()).isEmpty();
    EventBatch expired = expiring.get(5, TimeUnit.SECONDS);
    assertThat(expired.events()).isEmpty();
    assertThat(expired.cursor()).isEqualTo(unrelated.seq());

    // From that cursor, the next matching event is all there is.
    Event matching = commit(hub, org, "list:A");
    EventBatch next = hub.await(interest, expired.cursor(), 10, LONG, "w").get(5, TimeUnit.SECONDS);
    assertThat(next.events()).containsExactly(matching);
  }

  // ---- (e) the organization key

  @Test
  void the_organization_key_receives_every_event_of_its_organization_and_none_of_another()
      throws Exception {
    EventHub hub = hub(64);
    String org = newOrg();
    String otherOrg = newOrg();
    long start = hub.headSeq();
    Interest everything = Interest.of(org, Set.of(Audience.organization(org)));

    CompletableFuture<EventBatch> parked = hub.await(everything, start, 100, LONG, "supervisor");
    // Another organization's events, even one addressed to this organization's key, wake nothing.
    Event foreign = commit(hub, otherOrg, "list:A", Audience.organization(org));
    awaitPublished(hub, foreign);
    assertThat(parked).isNotDone();

    List<Event> mine = new ArrayList<>();
    mine.add(commit(hub, org, "user:someone"));
    EventBatch woken = parked.get(5, TimeUnit.SECONDS);
    assertThat(woken.events()).containsExactly(mine.getFirst());

    mine.add(commit(hub, org, "list:A"));
    commit(hub, otherOrg, "list:A");
    mine.add(commit(hub, org, "conversation:c", "workbin:w"));
    mine.add(commit(hub, org)); // no audience key at all
    commit(hub, otherOrg, "user:someone");
    Event last = commit(hub, org, "team:t");
    mine.add(last);
    awaitPublished(hub, last);

    EventBatch all = hub.read(everything, start, 100);
    assertThat(all.events()).containsExactlyElementsOf(mine);
    assertThat(all.events()).allSatisfy(event -> assertThat(event.orgId()).isEqualTo(org));
    assertThat(all.cursor()).isEqualTo(last.seq());
  }

  // ---- (f) cursors older than the ring

  @Test
  void a_cursor_older_than_the_ring_is_answered_from_the_log_with_every_match_in_order()
      throws Exception {
    EventHub hub = hub(4);
    String org = newOrg();
    long start = hub.headSeq();
    List<Event> onA = new ArrayList<>();
    Event last = null;
    for (int i = 0; i < 20; i++) {
      last = commit(hub, org, i % 2 == 0 ? "list:A" : "list:B");
      if (i % 2 == 0) {
        onA.add(last);
      }
    }
    awaitPublished(hub, last);
    Interest interest = Interest.of(org, Set.of("list:A"));

    EventBatch read = hub.read(interest, start, 100);
    assertThat(read.events()).containsExactlyElementsOf(onA);

    EventBatch awaited = hub.await(interest, start, 100, LONG, "late").get(5, TimeUnit.SECONDS);
    assertThat(awaited.events()).containsExactlyElementsOf(onA);

    // Paging with a small max crosses from the log into the ring without losing or repeating.
    List<Event> paged = new ArrayList<>();
    long cursor = start;
    for (int page = 0; page < 20; page++) {
      EventBatch batch = hub.read(interest, cursor, 3);
      assertThat(batch.events()).hasSizeLessThanOrEqualTo(3);
      paged.addAll(batch.events());
      cursor = batch.cursor();
      if (batch.isEmpty()) {
        break;
      }
    }
    assertThat(paged).containsExactlyElementsOf(onA);
    assertThat(cursor).isEqualTo(last.seq());
  }

  @Test
  void a_new_hub_over_an_existing_log_answers_old_cursors_in_order() throws Exception {
    String org = newOrg();
    long start = new JdbiEventLog(jdbi).lastSeq();
    List<Event> appended = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      appended.add(append(org, "list:A"));
    }
    EventHub hub = hub(4);
    assertThat(hub.headSeq()).isEqualTo(appended.getLast().seq());

    EventBatch batch = hub.read(Interest.of(org, Set.of("list:A")), start, 100);

    assertThat(batch.events()).containsExactlyElementsOf(appended);
  }

  /**
   * The hub reads the log in pages of up to 512 events; a page may hold more events than the ring
   * (the server's ring is larger, but the hub takes any capacity). A waiter must not lose the
   * matches that left the ring before it was offered them.
   */
  @Test
  void a_parked_await_receives_every_match_of_a_burst_larger_than_the_ring() throws Exception {
    EventHub hub = hub(4);
    String org = newOrg();
    long start = hub.headSeq();
    Interest interest = Interest.of(org, Set.of("list:A"));
    CompletableFuture<EventBatch> parked = hub.await(interest, start, 100, LONG, "burst");

    // One transaction of 20 events, 10 of them on list:A: the hub reads them in one page.
    List<EventDraft> drafts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      drafts.add(draft(i % 2 == 0 ? "list:A" : "list:B"));
    }
    List<Event> burst = jdbi.inTransaction(h -> JdbiEventLog.append(h, now(), org, null, drafts));
    hub.poke();
    List<Event> onA = burst.stream().filter(e -> e.audience().contains("list:A")).toList();

    EventBatch batch = parked.get(5, TimeUnit.SECONDS);
    List<Event> received = new ArrayList<>(batch.events());
    // Whatever the first answer held, asking on from its cursor must bring the rest.
    received.addAll(hub.read(interest, batch.cursor(), 100).events());
    assertThat(received).containsExactlyElementsOf(onA);
  }

  // ---- (f2) commits handed over

  /** The hub publishes what this node commits as it is handed over, without reading it back. */
  @Test
  void a_commit_of_this_node_is_published_without_reading_it_back() throws Exception {
    BlindLog log = new BlindLog(new JdbiEventLog(jdbi));
    EventHub hub = hub(log, 16);
    String org = newOrg();
    Interest interest = Interest.of(org, Set.of("list:A"));
    CompletableFuture<EventBatch> parked = hub.await(interest, hub.headSeq(), 10, LONG, "mine");
    log.blind = true; // from here on the log answers nothing

    List<Event> committed =
        jdbi.inTransaction(
            h -> JdbiEventLog.append(h, now(), org, null, List.of(draft("list:A"), draft("x"))));

    assertThat(parked.get(5, TimeUnit.SECONDS).events()).containsExactly(committed.getFirst());
    awaitPublished(hub, committed.getLast());
  }

  /**
   * A rolled-back append hands nothing over, and the next commit, which takes its seqs, is heard.
   */
  @Test
  void a_rolled_back_append_is_not_published_and_the_next_commit_is() throws Exception {
    BlindLog log = new BlindLog(new JdbiEventLog(jdbi));
    EventHub hub = hub(log, 16);
    String org = newOrg();
    long start = hub.headSeq();
    log.blind = true;

    assertThatThrownBy(
            () ->
                jdbi.useTransaction(
                    h -> {
                      JdbiEventLog.append(h, now(), org, null, List.of(draft("list:A")));
                      throw new IllegalStateException("refused after appending");
                    }))
        .hasMessage("refused after appending");
    Event next = append(org, "list:A", "second");

    awaitPublished(hub, next);
    EventBatch batch = hub.read(Interest.of(org, Set.of("list:A")), start, 10);
    assertThat(batch.events()).containsExactly(next);
  }

  /**
   * Events another node committed come before this node's next commit: the hub sees the gap, reads
   * them from the log, and publishes both in commit order.
   */
  @Test
  void another_nodes_commit_is_read_from_the_log_before_this_nodes_next_one() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    Interest interest = Interest.of(org, Set.of("list:A"));
    CompletableFuture<EventBatch> parked = hub.await(interest, start, 10, LONG, "both");
    Event theirs;
    try (Database otherNode = location.open()) {
      theirs =
          otherNode
              .jdbi()
              .inTransaction(
                  h -> JdbiEventLog.append(h, now(), org, null, List.of(draft("list:A"))))
              .getFirst();
    }
    Event ours = append(org, "list:A", "ours");

    List<Event> received = new ArrayList<>(parked.get(5, TimeUnit.SECONDS).events());
    awaitPublished(hub, ours);
    received.addAll(hub.read(interest, received.getLast().seq(), 10).events());
    assertThat(received).containsExactly(theirs, ours);
  }

  /**
   * Writers of this node (some rolling back) race a writer of another node: the hub hands its
   * listeners every committed event once, in commit order, whether it was handed over or read.
   */
  @Test
  void racing_writers_of_two_nodes_reach_the_listeners_once_each_in_commit_order()
      throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    List<Event> heard = Collections.synchronizedList(new ArrayList<>());
    hub.addListener(heard::addAll);
    List<Event> committed = Collections.synchronizedList(new ArrayList<>());
    try (Database otherNode = location.open();
        ExecutorService writers = Executors.newFixedThreadPool(4)) {
      List<Future<?>> running = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        Jdbi node = w == 0 ? otherNode.jdbi() : jdbi;
        int writer = w;
        running.add(
            writers.submit(
                () -> {
                  for (int i = 0; i < 50; i++) {
                    List<EventDraft> drafts = List.of(draft("list:A"), draft("list:B"));
                    if (writer == 1 && i % 5 == 0) {
                      assertThatThrownBy(
                          () ->
                              node.useTransaction(
                                  h -> {
                                    JdbiEventLog.append(h, now(), org, null, drafts);
                                    throw new IllegalStateException("rolled back");
                                  }));
                    } else {
                      committed.addAll(
                          node.inTransaction(
                              h -> JdbiEventLog.append(h, now(), org, null, drafts)));
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> writer : running) {
        writer.get(60, TimeUnit.SECONDS);
      }
    }
    long last = committed.stream().mapToLong(Event::seq).max().orElseThrow();
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.headSeq() >= last);

    List<Event> ours = heard.stream().filter(e -> e.seq() > start).toList();
    assertThat(ours.stream().map(Event::seq).toList())
        .isEqualTo(LongStream.rangeClosed(start + 1, last).boxed().toList());
    assertThat(ours)
        .containsExactlyElementsOf(
            committed.stream().sorted(Comparator.comparingLong(Event::seq)).toList());
  }

  /** Appending is a transaction's last write: without one nothing is written. */
  @Test
  void an_append_outside_a_transaction_is_refused_and_writes_nothing() {
    long before = new JdbiEventLog(jdbi).lastSeq();

    assertThatThrownBy(
            () ->
                jdbi.useHandle(
                    h -> JdbiEventLog.append(h, now(), newOrg(), null, List.of(draft("list:A")))))
        .isInstanceOf(IllegalStateException.class);

    assertThat(new JdbiEventLog(jdbi).lastSeq()).isEqualTo(before);
  }

  /** Audience keys are stored joined by spaces: a key with a space is refused, not split. */
  @Test
  void an_audience_key_with_a_space_is_refused() {
    assertThatThrownBy(
            () ->
                jdbi.useTransaction(
                    h -> JdbiEventLog.append(h, now(), newOrg(), null, List.of(draft("user:a b")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("user:a b");
  }

  /**
   * A row written before keys were checked may hold runs of spaces: it reads as its keys, and a hub
   * that starts on it (its preload reads it) hears it like any other.
   */
  @Test
  void a_stored_audience_with_runs_of_spaces_reads_as_its_keys() throws Exception {
    String org = newOrg();
    long seq =
        jdbi.inTransaction(
            h -> {
              h.execute("UPDATE event_sequence SET last_seq = last_seq + 1 WHERE id = 1");
              long next =
                  h.createQuery("SELECT last_seq FROM event_sequence WHERE id = 1")
                      .mapTo(Long.class)
                      .one();
              h.createUpdate(
                      "INSERT INTO event (seq, id, org_id, event_type, resource_type,"
                          + " resource_id, audience, payload, created_at) VALUES (:seq, :id, :org,"
                          + " 'test.Happened', 'users', 'a', 'user:a   list:A ', '{}', :at)")
                  .bind("seq", next)
                  .bind("id", "0-" + next)
                  .bind("org", org)
                  .bind("at", now())
                  .execute();
              return next;
            });

    EventHub hub = hub(16);
    EventBatch batch = hub.read(Interest.of(org, Set.of("list:A")), seq - 1, 10);

    assertThat(batch.events()).extracting(Event::seq).containsExactly(seq);
    assertThat(batch.events().getFirst().audience()).containsExactlyInAnyOrder("user:a", "list:A");
  }

  // ---- (g) waiting()

  @Test
  void waiting_counts_parked_consumers_and_drops_back_to_zero_after_they_complete()
      throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    assertThat(hub.waiting()).isZero();

    CompletableFuture<EventBatch> onA =
        hub.await(Interest.of(org, Set.of("list:A", "user:u")), start, 10, LONG, "a");
    CompletableFuture<EventBatch> onB =
        hub.await(Interest.of(org, Set.of("list:B")), start, 10, LONG, "b");
    CompletableFuture<EventBatch> anonymous =
        hub.await(Interest.of(org, Set.of("list:C")), start, 10, LONG, null);
    assertThat(hub.waiting()).isEqualTo(3);

    commit(hub, org, "user:u");
    onA.get(5, TimeUnit.SECONDS);
    assertThat(hub.waiting()).isEqualTo(2);

    hub.supersede("b");
    onB.get(5, TimeUnit.SECONDS);
    assertThat(hub.waiting()).isEqualTo(1);

    commit(hub, org, "list:C");
    anonymous.get(5, TimeUnit.SECONDS);
    assertThat(hub.waiting()).isZero();

    CompletableFuture<EventBatch> expiring =
        hub.await(Interest.of(org, Set.of("list:D")), start, 10, SHORT, null);
    assertThat(hub.waiting()).isEqualTo(1);
    expiring.get(5, TimeUnit.SECONDS);
    assertThat(hub.waiting()).isZero();

    // An answer at once never counts as waiting.
    hub.await(Interest.of(org, Set.of("user:u")), start, 10, LONG, "a").get(5, TimeUnit.SECONDS);
    assertThat(hub.waiting()).isZero();
  }

  @Test
  void closing_the_hub_ends_every_parked_await_with_an_empty_batch() throws Exception {
    EventHub hub = hub(16);
    String org = newOrg();
    long start = hub.headSeq();
    CompletableFuture<EventBatch> owned =
        hub.await(Interest.of(org, Set.of("list:A")), start, 10, LONG, "x");
    CompletableFuture<EventBatch> anonymous =
        hub.await(Interest.of(org, Set.of("list:B")), start, 10, LONG, null);
    assertThat(hub.waiting()).isEqualTo(2);

    hub.close();

    assertThat(owned.get(5, TimeUnit.SECONDS).events()).isEmpty();
    assertThat(anonymous.get(5, TimeUnit.SECONDS).events()).isEmpty();
    assertThat(hub.waiting()).isZero();
  }

  /**
   * A call that registered just before the hub closed, and sets its timeout just after (on the
   * stopped timer), is ended by the close like any parked call: before, setting the timeout threw
   * and the poll answered 500. The timer here closes the hub at that moment.
   */
  @Test
  void an_await_whose_timeout_comes_after_the_close_ends_with_an_empty_batch() throws Exception {
    String org = newOrg();
    AtomicReference<EventHub> closing = new AtomicReference<>();
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(1) {
          @Override
          public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            closing.get().close();
            return super.schedule(command, delay, unit);
          }
        };
    EventHub hub = new EventHub(new JdbiEventLog(jdbi), 16, timer);
    closing.set(hub);

    CompletableFuture<EventBatch> parked =
        hub.await(Interest.of(org, Set.of("list:A")), hub.headSeq(), 10, LONG, "x");

    assertThat(parked.get(5, TimeUnit.SECONDS).events()).isEmpty();
    assertThat(hub.waiting()).isZero();
  }

  // ---- helpers

  private EventHub hub(int capacity) {
    return hub(new JdbiEventLog(jdbi), capacity);
  }

  private EventHub hub(EventLog log, int capacity) {
    EventHub hub = new EventHub(log, capacity);
    hubs.add(hub);
    return hub;
  }

  /** The store's log, which answers no reads once {@link #blind}: only hand-overs reach the hub. */
  private static final class BlindLog implements EventLog {
    private final EventLog log;
    volatile boolean blind;

    BlindLog(EventLog log) {
      this.log = log;
    }

    @Override
    public List<Event> after(long afterSeq, int limit) {
      return blind ? List.of() : log.after(afterSeq, limit);
    }

    @Override
    public long lastSeq() {
      return log.lastSeq();
    }

    @Override
    public void handOverTo(CommittedEvents.Receiver receiver) {
      log.handOverTo(receiver);
    }

    @Override
    public void stopHandingOverTo(CommittedEvents.Receiver receiver) {
      log.stopHandingOverTo(receiver);
    }
  }

  private static String newOrg() {
    return "hub-org-" + ORGS.incrementAndGet();
  }

  private static EventDraft draft(String... keys) {
    return new EventDraft(
        "test.Happened",
        "lists",
        "L",
        Set.copyOf(Arrays.asList(keys)),
        "{\"keys\":\"" + String.join(" ", keys) + "\"}");
  }

  /** Appends one event in its own transaction, as a command would; it is handed to the hubs. */
  private static Event append(String org, String... keys) {
    return jdbi.inTransaction(h -> JdbiEventLog.append(h, now(), org, null, List.of(draft(keys))))
        .getFirst();
  }

  /** Appends one event and asks {@code hub} to read the log, as a commit not handed over would. */
  private static Event commit(EventHub hub, String org, String... keys) {
    Event event = append(org, keys);
    hub.poke();
    return event;
  }

  /** Milliseconds only, so that an appended event equals the one read back from the store. */
  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }

  private static void awaitPublished(EventHub hub, Event event) {
    await().atMost(Duration.ofSeconds(10)).until(() -> hub.headSeq() >= event.seq());
  }
}
