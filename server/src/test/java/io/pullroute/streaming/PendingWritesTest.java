package io.pullroute.streaming;

import static io.pullroute.testing.StatementCounts.sqlStartingWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pullroute.events.Event;
import io.pullroute.testing.StatementCounts;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What sessions that require acknowledgement write on each poll and acknowledgement: writes that
 * arrive while one is committing share the next transaction, and still each get their own result.
 */
class PendingWritesTest {
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void writes_arriving_during_a_commit_are_written_together_in_the_next(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      Jdbi jdbi = server.server().database().jdbi();
      JdbiStreamingRepository repository = new JdbiStreamingRepository(jdbi);
      String orgId = server.http().createOrganization("pending-group").orgId();
      List<String> sessions = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        sessions.add(session(repository, orgId, "pending-group-" + i));
      }
      StatementCounts counts = StatementCounts.on(jdbi);
      AtomicInteger inserts = counts.finished(sqlStartingWith("INSERT INTO streaming_pending"));
      try (counts;
          ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
          Handle blocker = jdbi.open()) {
        // The first write waits for its session's row, which another transaction holds; the
        // five that come meanwhile wait for their group.
        blocker.begin();
        touch(blocker, sessions.getFirst());
        List<Future<?>> writes = new ArrayList<>();
        writes.add(callers.submit(() -> add(repository, orgId, sessions.getFirst(), 10)));
        await().atMost(Duration.ofSeconds(10)).until(() -> inserts.get() == 1);
        for (int i = 1; i < 6; i++) {
          String session = sessions.get(i);
          long seq = 10 + i;
          writes.add(callers.submit(() -> add(repository, orgId, session, seq)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.waitingWrites() == 5);
        blocker.commit();
        for (Future<?> write : writes) {
          write.get();
        }
      }

      // One insert for the first write's transaction, one for the five after it.
      assertThat(inserts.get()).isEqualTo(2);
      for (int i = 0; i < 6; i++) {
        assertThat(pendingSeqs(jdbi, sessions.get(i))).containsExactly(10L + i);
        assertThat(repository.find(sessions.get(i)).orElseThrow().cursor()).isEqualTo(10L + i);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_write_for_a_session_deleted_meanwhile_fails_alone(StoreKind store) throws Exception {
    try (TestServer server = TestServer.start(store)) {
      Jdbi jdbi = server.server().database().jdbi();
      JdbiStreamingRepository repository = new JdbiStreamingRepository(jdbi);
      String orgId = server.http().createOrganization("pending-alone").orgId();
      String first = session(repository, orgId, "pending-alone-first");
      String kept = session(repository, orgId, "pending-alone-kept");
      String acknowledging = session(repository, orgId, "pending-alone-ack");
      String deleted = session(repository, orgId, "pending-alone-deleted");
      add(repository, orgId, acknowledging, 5);
      repository.delete(deleted);
      StatementCounts counts = StatementCounts.on(jdbi);
      AtomicInteger inserts = counts.finished(sqlStartingWith("INSERT INTO streaming_pending"));
      try (counts;
          ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
          Handle blocker = jdbi.open()) {
        blocker.begin();
        touch(blocker, first);
        Future<?> blocked = callers.submit(() -> add(repository, orgId, first, 20));
        await().atMost(Duration.ofSeconds(10)).until(() -> inserts.get() == 1);
        Future<?> ok = callers.submit(() -> add(repository, orgId, kept, 21));
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.waitingWrites() == 1);
        Future<?> refused = callers.submit(() -> add(repository, orgId, deleted, 22));
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.waitingWrites() == 2);
        Future<Set<String>> acknowledged =
            callers.submit(() -> repository.acknowledge(acknowledging, List.of("e5", "e404")));
        await().atMost(Duration.ofSeconds(10)).until(() -> repository.waitingWrites() == 3);
        blocker.commit();

        blocked.get();
        ok.get();
        assertThatThrownBy(refused::get).hasCauseInstanceOf(RuntimeException.class);
        assertThat(acknowledged.get()).containsExactly("e5");
      }

      // The group of three failed on the deleted session's row; each then ran alone.
      assertThat(pendingSeqs(jdbi, first)).containsExactly(20L);
      assertThat(pendingSeqs(jdbi, kept)).containsExactly(21L);
      assertThat(pendingSeqs(jdbi, acknowledging)).isEmpty();
      assertThat(pendingSeqs(jdbi, deleted)).isEmpty();
      assertThat(repository.find(kept).orElseThrow().cursor()).isEqualTo(21L);
    }
  }

  private static String session(JdbiStreamingRepository repository, String orgId, String id) {
    repository.insert(
        new StreamingSession(
            id, orgId, "owner", 3, 300, true, Instant.parse("2026-01-01T00:00:00Z")),
        0);
    return id;
  }

  /** Event {@code seq} (id {@code e<seq>}) delivered to {@code session}, its cursor at it. */
  private static Void add(
      JdbiStreamingRepository repository, String orgId, String session, long seq) {
    Event event =
        new Event(
            seq,
            "e" + seq,
            orgId,
            "test.Pending",
            "lists",
            "L",
            Set.of("org:" + orgId),
            null,
            "{}",
            Instant.parse("2026-01-01T00:00:00Z"));
    repository.addPending(session, List.of(event), seq, Instant.parse("2026-01-01T00:00:01Z"));
    return null;
  }

  /** Locks the session's row for the rest of {@code handle}'s transaction. */
  private static void touch(Handle handle, String session) {
    handle
        .createUpdate("UPDATE streaming_session SET owner = owner WHERE id = :id")
        .bind("id", session)
        .execute();
  }

  private static List<Long> pendingSeqs(Jdbi jdbi, String session) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT seq FROM streaming_pending WHERE session_id = :id ORDER BY seq")
                .bind("id", session)
                .mapTo(Long.class)
                .list());
  }
}
