package io.pullroute.store;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * <p>No cycle of waits can form through turns. A turn must be taken before the transaction waits
 * for any other row lock, and the {@linkplain #sequence sequence turn} last. A transaction that
 * needs several row turns at once takes them with {@link #rows}, in stripe order, so two of them
 * (groups of routing commands run at once, say) wait for each other in one direction only. A
 * transaction's first row turn may be waited for; a later one taken with {@link #row} is out of
 * that order, so it is only taken when free, and otherwise the transaction fails with {@link
 * Contended} at once, to run again when nothing else can hold the turn (see {@link CommitGroups}).
 * A turn not had within {@value #TIMEOUT_SECONDS} s (the embedded store's {@code LOCK_TIMEOUT})
 * fails the transaction like a lock timeout.
 */
public final class Turns {
  static final long TIMEOUT_SECONDS = 10;
  private static final int STRIPES = 1024;
  private static final Map<Jdbi, Turns> BY_STORE = Collections.synchronizedMap(new WeakHashMap<>());

  private final ReentrantLock sequence = new ReentrantLock(true);
  private final ReentrantLock[] rows = new ReentrantLock[STRIPES];

  /**
   * The row turns (stripes) each open transaction holds, by its handle; present (maybe empty) once
   * it took turns with {@link #rows}, after which it waits for no other.
   */
  private final Map<Handle, Set<Integer>> held =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private Turns() {
    for (int i = 0; i < STRIPES; i++) {
      rows[i] = new ReentrantLock(true);
    }
  }

  /**
   * The turn of the row {@code key} (e.g. a conversation id), for the rest of the transaction. The
   * transaction's first row turn is waited for; one after {@link #rows} or another turn is taken
   * only if it is free, else this throws {@link Contended}.
   */
  public static void row(Handle handle, String key) {
    Turns turns = of(handle);
    int stripe = stripe(key);
    Set<Integer> mine = turns.held.get(handle);
    if (mine != null && mine.contains(stripe)) {
      return;
    }
    turns.takeRow(handle, stripe, mine == null);
  }

  /**
   * The turns of the rows {@code keys} (maybe none), for the rest of the transaction, waited for
   * and taken in stripe order: they must be the transaction's first (else this throws {@link
   * IllegalStateException}). Any turn it asks for later is only taken when free ({@link #row}).
   */
  public static void rows(Handle handle, Collection<String> keys) {
    Turns turns = of(handle);
    if (turns.held.containsKey(handle)) {
      throw new IllegalStateException("row turns taken together must be a transaction's first");
    }
    turns.heldBy(handle);
    for (int stripe : new TreeSet<>(keys.stream().map(Turns::stripe).toList())) {
      turns.takeRow(handle, stripe, true);
    }
  }

  private static int stripe(String key) {
    return Math.floorMod(key.hashCode(), STRIPES);
  }

  /**
   * A row turn a transaction asked for after others, held by another transaction: waiting for it
   * could close a cycle of waits, so the transaction gives up instead; run it again when nothing
   * else can hold the turn.
   */
  public static final class Contended extends RuntimeException {
    Contended(String message) {
      super(message);
    }
  }

  /** Takes the turn of {@code stripe} for {@code handle}'s transaction, waiting for it or not. */
  private void takeRow(Handle handle, int stripe, boolean wait) {
    ReentrantLock turn = rows[stripe];
    if (wait) {
      take(handle, turn, "row stripe " + stripe);
    } else if (turn.tryLock()) {
      giveBackWithTransaction(handle, turn);
    } else {
      throw new Contended("the turn of row stripe " + stripe + " is another transaction's");
    }
    heldBy(handle).add(stripe);
  }

  /**
   * The stripes {@code handle}'s transaction holds; made when first asked for and forgotten when
   * the transaction ends. Only the transaction's own thread touches its set.
   */
  private Set<Integer> heldBy(Handle handle) {
    Set<Integer> mine = held.get(handle);
    if (mine == null) {
      mine = new HashSet<>();
      held.put(handle, mine);
      atTransactionEnd(handle, () -> held.remove(handle));
    }
    return mine;
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
    giveBackWithTransaction(handle, turn);
  }

  /** {@code turn}, held, is given back when the transaction ends (once). */
  private static void giveBackWithTransaction(Handle handle, ReentrantLock turn) {
    AtomicBoolean held = new AtomicBoolean(true);
    atTransactionEnd(
        handle,
        () -> {
          if (held.compareAndSet(true, false)) {
            turn.unlock();
          }
        });
  }

  /**
   * Runs {@code end} when {@code handle}'s transaction commits or rolls back, or at the latest when
   * the handle closes; {@code end} may run more than once.
   */
  private static void atTransactionEnd(Handle handle, Runnable end) {
    if (handle.isInTransaction()) {
      handle.afterCommit(end);
      handle.afterRollback(end);
    }
    handle.addCleanable(end::run);
  }
}
