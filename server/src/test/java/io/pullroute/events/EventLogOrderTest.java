package io.pullroute.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pullroute.store.Database;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The event log's order (DESIGN.md §1, §5.2, §5.3): {@code seq} is commit order and gap-free, so a
 * tailer that reads {@code seq > cursor} never skips an event whose transaction commits late, and a
 * rolled-back append leaves neither an event nor a gap. Raw appends on a fresh store, no server.
 */
class EventLogOrderTest {
  private static final String ORG = "org";
  private static final int WRITERS = 8;
  private static final int EVENTS_PER_WRITER = 100;

  /** Thrown inside a transaction to roll it back on purpose. */
  private static final class Rollback extends RuntimeException {
    Rollback() {
      super("deliberate rollback", null, false, false);
    }
  }

  /** What one writer's committed transaction appended, as append returned it. */
  private record Committed(String marker, List<Event> events) {}

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_tailer_sees_every_committed_event_exactly_once_in_commit_order_while_writers_race(
      StoreKind store) throws Exception {
    try (TestStores.Location location = TestStores.fresh(store);
        Database database = location.open()) {
      Jdbi jdbi = database.jdbi();
      JdbiEventLog log = new JdbiEventLog(jdbi);

      List<Committed> committed = Collections.synchronizedList(new ArrayList<>());
      Set<String> rolledBack = Collections.synchronizedSet(new HashSet<>());
      AtomicBoolean writersDone = new AtomicBoolean();
      AtomicLong expectedLast = new AtomicLong(Long.MAX_VALUE);

      ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
      try {
        CountDownLatch start = new CountDownLatch(1);
        Future<Tail> tailer =
            pool.submit(
                () -> {
                  start.await();
                  return tail(log, writersDone, expectedLast);
                });
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          writers.add(
              pool.submit(
                  () -> {
                    start.await();
                    write(jdbi, writer, committed, rolledBack);
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> writer : writers) {
          writer.get(120, TimeUnit.SECONDS);
        }
        long total = committed.stream().mapToLong(c -> c.events().size()).sum();
        assertThat(total).isEqualTo((long) WRITERS * EVENTS_PER_WRITER);
        expectedLast.set(total);
        writersDone.set(true);

        Tail seen = tailer.get(120, TimeUnit.SECONDS);

        // The tailer never saw a later seq before an earlier one had become visible: every page
        // started right after its cursor and was consecutive.
        assertThat(seen.jumps()).as("cursor → first seq of a page that skipped seqs").isEmpty();

        // Exactly the committed events, once each, seqs 1..K, strictly increasing.
        List<Long> seqs = seen.events().stream().map(Event::seq).toList();
        List<Long> oneToK = new ArrayList<>();
        for (long seq = 1; seq <= total; seq++) {
          oneToK.add(seq);
        }
        assertThat(seqs).isEqualTo(oneToK);

        Map<Long, Event> appended = new HashMap<>();
        for (Committed transaction : committed) {
          for (Event event : transaction.events()) {
            assertThat(appended.put(event.seq(), event))
                .as("seq %d handed to two transactions", event.seq())
                .isNull();
          }
        }
        for (Event event : seen.events()) {
          Event expected = appended.get(event.seq());
          assertThat(expected)
              .as("event %d was not appended by a committed transaction", event.seq())
              .isNotNull();
          assertThat(event.id()).isEqualTo(expected.id());
          assertThat(event.payload()).isEqualTo(expected.payload());
          assertThat(event.type()).isEqualTo("test.Committed");
        }

        // No rolled-back event, anywhere.
        assertThat(rolledBack).as("some transactions were rolled back").isNotEmpty();
        for (Event event : seen.events()) {
          assertThat(rolledBack).doesNotContain(marker(event.payload()));
        }
        int rolledBackInTable =
            jdbi.withHandle(
                h ->
                    h.createQuery("SELECT COUNT(*) FROM event WHERE event_type <> 'test.Committed'")
                        .mapTo(Integer.class)
                        .one());
        assertThat(rolledBackInTable).isZero();

        // A transaction's events are consecutive and share its id millisecond.
        for (Committed transaction : committed) {
          List<Event> events = transaction.events();
          for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).seq()).isEqualTo(events.get(i - 1).seq() + 1);
            assertThat(millis(events.get(i).id())).isEqualTo(millis(events.get(i - 1).id()));
          }
        }

        // Ids <ms>-<n> are unique and increase with seq, compared as numbers.
        Set<String> ids = new HashSet<>();
        long[] previous = null;
        for (Event event : seen.events()) {
          assertThat(event.id()).matches("\\d+-\\d+");
          assertThat(ids.add(event.id())).as("duplicate id %s", event.id()).isTrue();
          long[] id = {millis(event.id()), counter(event.id())};
          if (previous != null) {
            assertThat(id[0] > previous[0] || (id[0] == previous[0] && id[1] > previous[1]))
                .as("id %s after %d-%d", event.id(), previous[0], previous[1])
                .isTrue();
          }
          previous = id;
        }

        // The log agrees with what the tailer saw.
        assertThat(log.lastSeq()).isEqualTo(total);
        assertThat(log.after(0, (int) total + 10)).isEqualTo(seen.events());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void an_append_waits_for_an_uncommitted_one_so_a_reader_never_sees_the_later_seq_first(
      StoreKind store) throws Exception {
    try (TestStores.Location location = TestStores.fresh(store);
        Database database = location.open();
        Database otherNode = location.open()) {
      // Within a process the second appender queues for its turn; from another process (a second
      // pool on the same store) it waits on the store's row lock. Either way it waits.
      appendsInCommitOrder(store, database.jdbi(), database.jdbi(), false);
      appendsInCommitOrder(store, database.jdbi(), otherNode.jdbi(), true);
    }
  }

  private static void appendsInCommitOrder(
      StoreKind store, Jdbi jdbi, Jdbi secondJdbi, boolean blockedInStore) throws Exception {
    JdbiEventLog log = new JdbiEventLog(jdbi);
    long before = log.lastSeq();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Handle first = jdbi.open()) {
      first.begin();
      List<Event> firstEvents =
          JdbiEventLog.append(first, Instant.now(), ORG, null, List.of(draft("first", true)));
      assertThat(firstEvents).extracting(Event::seq).containsExactly(before + 1);

      CompletableFuture<String> secondSession = new CompletableFuture<>();
      CompletableFuture<Thread> secondThread = new CompletableFuture<>();
      Future<List<Event>> second =
          pool.submit(
              () ->
                  secondJdbi.inTransaction(
                      h -> {
                        secondThread.complete(Thread.currentThread());
                        secondSession.complete(sessionId(store, h));
                        return JdbiEventLog.append(
                            h, Instant.now(), ORG, null, List.of(draft("second", true)));
                      }));
      String session = secondSession.get(10, TimeUnit.SECONDS);
      Thread thread = secondThread.get(10, TimeUnit.SECONDS);
      if (blockedInStore) {
        await().atMost(Duration.ofSeconds(10)).until(() -> isBlocked(jdbi, store, session));
      } else {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> thread.getState() == Thread.State.TIMED_WAITING);
      }
      assertThat(second.isDone()).isFalse();
      assertThat(log.after(before, 10)).isEmpty();

      first.commit();
      List<Event> secondEvents = second.get(10, TimeUnit.SECONDS);
      assertThat(secondEvents).extracting(Event::seq).containsExactly(before + 2);
      assertThat(log.after(before, 10))
          .extracting(e -> marker(e.payload()))
          .containsExactly("first", "second");
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_rolled_back_append_leaves_no_event_and_no_gap(StoreKind store) {
    try (TestStores.Location location = TestStores.fresh(store);
        Database database = location.open()) {
      Jdbi jdbi = database.jdbi();
      JdbiEventLog log = new JdbiEventLog(jdbi);
      jdbi.useTransaction(
          h -> JdbiEventLog.append(h, Instant.now(), ORG, null, List.of(draft("a", true))));
      try {
        jdbi.useTransaction(
            h -> {
              JdbiEventLog.append(
                  h, Instant.now(), ORG, null, List.of(draft("b", false), draft("c", false)));
              throw new Rollback();
            });
      } catch (Rollback expected) {
        // rolled back on purpose
      }
      jdbi.useTransaction(
          h -> JdbiEventLog.append(h, Instant.now(), ORG, null, List.of(draft("d", true))));
      List<Event> none =
          jdbi.inTransaction(h -> JdbiEventLog.append(h, Instant.now(), ORG, null, List.of()));
      assertThat(none).as("appending nothing takes no seq").isEmpty();

      List<Event> events = log.after(0, 10);
      assertThat(events).extracting(Event::seq).containsExactly(1L, 2L);
      assertThat(events).extracting(e -> marker(e.payload())).containsExactly("a", "d");
      assertThat(log.lastSeq()).isEqualTo(2);
    }
  }

  // ---- the writers and the tailer

  private static void write(
      Jdbi jdbi, int writer, List<Committed> committed, Set<String> rolledBack) {
    Random random = new Random(31L * writer + 7);
    int done = 0;
    int transaction = 0;
    while (done < EVENTS_PER_WRITER) {
      transaction++;
      // Some transactions append several events; about one in four is rolled back.
      int size = Math.min(1 + random.nextInt(3), EVENTS_PER_WRITER - done);
      boolean rollBack = random.nextInt(4) == 0;
      List<EventDraft> drafts = new ArrayList<>();
      List<String> markers = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        String marker = "w" + writer + "-t" + transaction + "-e" + i;
        markers.add(marker);
        drafts.add(draft(marker, !rollBack));
      }
      if (rollBack) {
        try {
          jdbi.useTransaction(
              h -> {
                JdbiEventLog.append(h, Instant.now(), ORG, null, drafts);
                throw new Rollback();
              });
        } catch (Rollback expected) {
          rolledBack.addAll(markers);
        }
      } else {
        List<Event> events =
            jdbi.inTransaction(h -> JdbiEventLog.append(h, Instant.now(), ORG, null, drafts));
        committed.add(new Committed(markers.getFirst(), events));
        done += size;
      }
    }
  }

  /** What the tailer saw, and every page that did not start right after its cursor. */
  private record Tail(List<Event> events, List<String> jumps) {}

  private static Tail tail(JdbiEventLog log, AtomicBoolean writersDone, AtomicLong expectedLast) {
    List<Event> seen = new ArrayList<>();
    List<String> jumps = new ArrayList<>();
    long cursor = 0;
    while (!(writersDone.get() && cursor >= expectedLast.get())) {
      List<Event> page = log.after(cursor, 100);
      for (Event event : page) {
        if (event.seq() <= cursor) {
          jumps.add("went back: " + cursor + " → " + event.seq());
        } else if (event.seq() != cursor + 1) {
          jumps.add(cursor + " → " + event.seq());
        }
        seen.add(event);
        cursor = Math.max(cursor, event.seq());
      }
      if (page.isEmpty()) {
        Thread.onSpinWait();
      }
    }
    return new Tail(seen, jumps);
  }

  // ---- helpers

  private static EventDraft draft(String marker, boolean committing) {
    return new EventDraft(
        committing ? "test.Committed" : "test.RolledBack",
        "lists",
        "L",
        Set.of(Audience.list("L")),
        "{\"marker\":\"" + marker + "\"}");
  }

  private static String marker(String payload) {
    int start = payload.indexOf(":\"") + 2;
    return payload.substring(start, payload.indexOf('"', start));
  }

  private static long millis(String id) {
    return Long.parseLong(id.substring(0, id.indexOf('-')));
  }

  private static long counter(String id) {
    return Long.parseLong(id.substring(id.indexOf('-') + 1));
  }

  private static String sessionId(StoreKind store, Handle handle) {
    String query =
        switch (store) {
          case H2 -> "SELECT SESSION_ID()";
          case POSTGRES -> "SELECT pg_backend_pid()";
        };
    return handle.createQuery(query).mapTo(String.class).one();
  }

  /** Whether the session is waiting for a lock another transaction holds. */
  private static boolean isBlocked(Jdbi jdbi, StoreKind store, String session) {
    String query =
        switch (store) {
          case H2 ->
              "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS"
                  + " WHERE SESSION_ID = CAST(:session AS INTEGER) AND BLOCKER_ID IS NOT NULL";
          case POSTGRES ->
              "SELECT COUNT(*) FROM (SELECT 1 WHERE"
                  + " cardinality(pg_blocking_pids(CAST(:session AS INTEGER))) > 0) blocked";
        };
    return jdbi.withHandle(
        h -> h.createQuery(query).bind("session", session).mapTo(Integer.class).one() > 0);
  }
}
