package io.pullroute.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the embedded store's file near the size of its data. H2 writes every commit as a new chunk
 * of the file ({@code WRITE_DELAY=0}, so that a killed process loses no commit), and its own
 * compaction runs only in the background writer, which that setting turns off: the file then grows
 * by a chunk a commit for good (60,000 single-event commits: 1.1 GB for 27 MB of rows with H2's 16
 * KB pages; with the store's 4 KB pages a test's file grew to less than half as much). So this
 * checks, every {@link #INTERVAL}, how much of the file is dead, and compacts it (a budget of
 * {@value #BUDGET_MILLIS} ms, which H2 checks only between steps) when that is more than its live
 * part and at least 64 MB while nothing was committed since the last check, or at least 1 GB while
 * commits go on: live pages are rewritten into new chunks and the file is shortened. Commits wait
 * for the store's lock meanwhile, 0.2–0.4 s for a file of a few hundred MB and more under load, so
 * compaction waits for a quiet second as long as the file allows (bench/REPORT.md, session 8: run
 * under load, it took pullroute's fan-out p99 at 100k deliveries a second from 0.6–0.7 s to 1.8 s).
 *
 * <p>H2's compaction sets the store's retention time to 0 (old chunks may be overwritten at once);
 * it is set back afterwards, so that outside a compaction a chunk written in the last 45 s is never
 * overwritten (H2's guard against a file system that has not yet written what it was given).
 */
final class EmbeddedCompaction implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofSeconds(1);
  static final int COMPACT_BELOW_PERCENT = 50;
  static final long IDLE_FROM_DEAD_BYTES = 64L << 20;
  static final long BUSY_FROM_DEAD_BYTES = 1L << 30;
  static final int BUDGET_MILLIS = 100;

  private static final Logger log = LoggerFactory.getLogger(EmbeddedCompaction.class);

  private final DataSource dataSource;
  private final long idleFromDeadBytes;
  private final long busyFromDeadBytes;

  /** The store's version at the last check: unchanged means no commit since. */
  private long lastVersion = -1;

  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("pullroute-store-compaction").daemon().factory());

  EmbeddedCompaction(DataSource dataSource) {
    this(dataSource, IDLE_FROM_DEAD_BYTES, BUSY_FROM_DEAD_BYTES);
  }

  /**
   * Compacting from {@code idleFromDeadBytes} of dead file on when nothing was committed since the
   * last check, and from {@code busyFromDeadBytes} on otherwise (tests use less than the defaults).
   */
  EmbeddedCompaction(DataSource dataSource, long idleFromDeadBytes, long busyFromDeadBytes) {
    this.dataSource = dataSource;
    this.idleFromDeadBytes = idleFromDeadBytes;
    this.busyFromDeadBytes = busyFromDeadBytes;
    scheduler.scheduleWithFixedDelay(
        this::runOnce, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * One check, and a compaction when the file is mostly dead; failures are logged, never thrown.
   */
  void runOnce() {
    try (Connection connection = dataSource.getConnection()) {
      MVStore store = storeOf(connection);
      FileStore<?> file = store.isClosed() ? null : store.getFileStore();
      if (file == null) {
        return;
      }
      long version = store.getCurrentVersion();
      boolean idle = version == lastVersion;
      lastVersion = version;
      // Live: the share of the file's blocks in use, times the live share of those chunks (a
      // compaction cut short leaves free blocks between chunks, which the second does not see).
      int livePercent = file.getFillRate() * file.getChunksFillRate() / 100;
      long deadBytes = file.size() / 100 * (100 - livePercent);
      long floor = idle ? Math.min(idleFromDeadBytes, busyFromDeadBytes) : busyFromDeadBytes;
      if (livePercent >= COMPACT_BELOW_PERCENT || deadBytes < floor) {
        return;
      }
      int retention = store.getRetentionTime();
      long before = file.size();
      long started = System.nanoTime();
      try {
        store.compactFile(BUDGET_MILLIS);
      } finally {
        store.setRetentionTime(retention);
        lastVersion = store.getCurrentVersion(); // its own writes are not commits
      }
      log.debug(
          "embedded store compacted from {} to {} bytes in {} ms",
          before,
          file.size(),
          (System.nanoTime() - started) / 1_000_000);
    } catch (SQLException | RuntimeException e) {
      // The store closing under us, say: the next run tries again, or the scheduler is stopped.
      log.debug("embedded store compaction skipped: {}", e.toString());
    }
  }

  /** The MVStore behind a connection of the embedded store (H2's engine classes, H2 2.x). */
  private static MVStore storeOf(Connection connection) throws SQLException {
    SessionLocal session = (SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
    return session.getDatabase().getStore().getMvStore();
  }

  /**
   * Stops the checks, letting a running compaction finish: an interrupt would close the store's
   * file channel under it.
   */
  @Override
  public void close() {
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
