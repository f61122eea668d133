package io.pullroute.store;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * In-process queues in front of the store's row locks. A transaction about to lock a contended row
 * first takes that row's turn here, held until the transaction commits or rolls back; only the
 * turn's holder then asks the store for the row lock, so the threads of this process wait on a fair
 * Java lock (a parked virtual thread costs nothing) instead of in the store.
 *
 * <p>Why: the embedded store's row-lock waiters retry the lock in a loop. With dozens of them on
 * two cores, every commit woke them all, and they could keep the carriers of the virtual threads so
 * busy that the holder itself barely ran — the claim benchmark saw both cores spin for minutes. The
 * store's lock stays the authority (it still orders the transactions of other processes sharing a
 * PostgreSQL database); a turn only keeps this process's waiters out of it.
 *
 * <p>A turn must be taken before the transaction waits for any other row lock, and a transaction
 * takes one {@linkplain #row row turn} and then the {@linkplain #sequence sequence turn}; only a
 * group of routing commands, of which one runs at a time per process, takes several row turns. So
 * no cycle of waits can form through turns. A turn not had within {@value #TIMEOUT_SECONDS} s (the
 * embedded store's {@code LOCK_TIMEOUT}) fails the transaction like a lock timeout.
 */
public final class Turns {
  static final long TIMEOUT_SECONDS = 10;
  private static final int STRIPES = 1024;
  private static final Map<Jdbi, Turns> BY_STORE = Collections.synchronizedMap(new WeakHashMap<>());

  private final ReentrantLock sequence = new ReentrantLock(true);
  private final ReentrantLock[] rows = new ReentrantLock[STRIPES];

  private Turns() {
    for (int i = 0; i < STRIPES; i++) {
      rows[i] = new ReentrantLock(true);
    }
  }

  /** The turn of the row {@code key} (e.g. a conversation id), for the rest of the transaction. */
  public static void row(Handle handle, String key) {
    Turns turns = of(handle);
    take(handle, turns.rows[Math.floorMod(key.hashCode(), STRIPES)], "row " + key);
  }

  /** The turn of the event log's sequence row, for the rest of the transaction. */
  public static void sequence(Handle handle) {
    take(handle, of(handle).sequence, "the event sequence");
  }

  private static Turns of(Handle handle) {
    return BY_STORE.computeIfAbsent(handle.getJdbi(), jdbi -> new Turns());
  }

  /** A turn not had in time: the store is overloaded (see {@link StoreErrors#isOverloaded}). */
  public static final class Timeout extends RuntimeException {
    Timeout(String message) {
      super(message);
    }
  }

  private static void take(Handle handle, ReentrantLock turn, String what) {
    try {
      if (!turn.tryLock(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new Timeout("no turn for " + what + " within " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + what, e);
    }
    // Given back when the transaction ends, or at the latest when the handle closes.
    AtomicBoolean held = new AtomicBoolean(true);
    Runnable giveBack =
        () -> {
          if (held.compareAndSet(true, false)) {
            turn.unlock();
          }
        };
    if (handle.isInTransaction()) {
      handle.afterCommit(giveBack);
      handle.afterRollback(giveBack);
    }
    handle.addCleanable(giveBack::run);
  }
}
