package io.pullroute.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Holds the row lock of a PostgreSQL store's event sequence, which every command that appends
 * events takes as the last statement before its commit (docs/routing.md). While it is held, such a
 * command of any node waits there with the rows it locked still locked: a test stops one command
 * between its locks and its commit, lets a command of another node run up to the row lock it then
 * waits for, and releases both, with no sleep. Not thread-safe; close it on the thread that held
 * it.
 */
public final class HeldCommits implements AutoCloseable {
  /** A statement waiting to append events: a command stopped just before its commit. */
  public static final String APPENDING = "UPDATE event_sequence";

  /** A statement waiting to lock requests (a command's or a group's first lock). */
  public static final String LOCKING_REQUESTS = "FROM conversation c WHERE c.id = ANY";

  /**
   * A statement waiting for a shared row lock: a subscribe locking what its permission rests on (a
   * list, its owning group, the user).
   */
  public static final String LOCKING_SHARED = " FOR SHARE";

  private final Handle handle;
  private boolean released;

  private HeldCommits(Handle handle) {
    this.handle = handle;
  }

  /** Holds the event sequence of {@code server}'s store (a PostgreSQL one) until closed. */
  public static HeldCommits hold(TestServer server) {
    if (server.kind() != StoreKind.POSTGRES) {
      throw new IllegalStateException("only a PostgreSQL store shows who waits for a lock");
    }
    Handle handle = server.server().database().jdbi().open();
    handle.begin();
    handle
        .createQuery("SELECT last_seq FROM event_sequence WHERE id = 1 FOR UPDATE")
        .mapTo(Long.class)
        .one();
    return new HeldCommits(handle);
  }

  /**
   * A race on {@code server}'s store: runs {@code held} until it waits to append its events (its
   * rows locked, just before its commit), then {@code racing} until a statement of it waits for a
   * lock, its text containing {@code racingWaitsAt}, or it answered without waiting (what the test
   * asserts of the answers then tells that it did not wait), and lets both go on. Answers what each
   * answered, {@code held}'s first.
   */
  public static <T> List<T> race(
      TestServer server, Callable<T> held, Callable<T> racing, String racingWaitsAt)
      throws Exception {
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
        HeldCommits commits = hold(server)) {
      Future<T> first = callers.submit(held);
      commits.awaitWaiting(APPENDING, 1);
      Future<T> second = callers.submit(racing);
      Jdbi jdbi = server.server().database().jdbi();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> second.isDone() || waiting(jdbi, racingWaitsAt) >= 1);
      commits.close();
      return List.of(first.get(30, TimeUnit.SECONDS), second.get(30, TimeUnit.SECONDS));
    }
  }

  /**
   * Waits until at least {@code count} statements of the store's database wait for a lock, their
   * text containing {@code statement} ({@link #APPENDING}, {@link #LOCKING_REQUESTS}).
   */
  public void awaitWaiting(String statement, int count) {
    awaitWaiting(handle.getJdbi(), statement, count);
  }

  /** As {@link #awaitWaiting(String, int)}, on {@code server}'s PostgreSQL store. */
  public static void awaitWaiting(TestServer server, String statement, int count) {
    awaitWaiting(server.server().database().jdbi(), statement, count);
  }

  private static void awaitWaiting(Jdbi jdbi, String statement, int count) {
    await().atMost(Duration.ofSeconds(20)).until(() -> waiting(jdbi, statement) >= count);
  }

  private static int waiting(Jdbi jdbi, String statement) {
    return jdbi.withHandle(
        probe ->
            probe
                .createQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND datname = current_database() AND position(:statement IN query) > 0")
                .bind("statement", statement)
                .mapTo(Integer.class)
                .one());
  }

  /** Lets the waiting commands go on: the lock is released. */
  @Override
  public void close() {
    if (released) {
      return;
    }
    released = true;
    try (handle) {
      handle.commit();
    }
  }
}
