package io.pullroute.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Groups of work for one transaction each. Items that arrive while a group runs wait and then run
 * together in the next group (at most {@code maxGroup}): the store's commit is paid once per group
 * instead of once per item. Alone, an item runs at once in a group of its own.
 *
 * <p>Committer threads run the groups; {@link #run} returns once the caller's group has run. What a
 * group does with its items, and how each item learns its own result ({@link Result#succeeded}), is
 * the owner's {@code together}. An item must not be run from inside a group (it would wait for
 * itself): that fails at once. Thread-safe.
 *
 * <p>With one committer, groups run one after the other. With more, each committer has a lane of
 * its own and items are given to lanes by a key ({@link #run(Result, int)}): groups of different
 * lanes run at once, each in its own transaction, while items of one key always share a lane. That
 * is for work whose transactions cannot wait for each other in a cycle, or give up when they might
 * (routing commands: {@link Turns}); the key keeps items that would wait for each other (those on
 * one row) in one group instead.
 *
 * <p>When a group fails as a whole, each of its items runs again alone, so nobody gets another
 * item's failure; and it runs <em>exclusively</em>, while no other group runs, so whatever another
 * group held (a lock it had to give up, say) cannot fail it again. An item that fails alone and
 * exclusively is given its failure. With one committer every run is exclusive.
 *
 * @param <T> an item, which carries its own result
 */
public final class CommitGroups<T extends CommitGroups.Result<?>> {
  private final String committerName;
  private final int maxGroup;
  private final Consumer<List<T>> together;
  private final ReentrantLock lock = new ReentrantLock();
  private final Lane<T>[] lanes;

  /** Items waiting for one committer, and whether its loop runs. Guarded by {@link #lock}. */
  private static final class Lane<T> {
    final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
    boolean running;
  }

  /**
   * One permit per committer: a group runs with one, an exclusive run with all of them. Fair, so a
   * committer waiting for all of them is not overtaken by groups started after it asked.
   */
  private final Semaphore permits;

  /**
   * The committers: platform threads, started when items wait and gone after a minute without. Not
   * virtual threads: every caller waits for them, so they must not queue for a carrier behind the
   * request handlers they serve.
   */
  private final ThreadPoolExecutor committer;

  /**
   * Groups for {@code together}, which runs on a thread named {@code committerName}, writes a
   * group's items in one transaction and gives each its result, or throws when nothing of the group
   * was written.
   */
  public CommitGroups(String committerName, int maxGroup, Consumer<List<T>> together) {
    this(committerName, maxGroup, 1, together);
  }

  /** Groups for {@code together}, up to {@code committers} of them at once (one per lane). */
  @SuppressWarnings("unchecked")
  public CommitGroups(
      String committerName, int maxGroup, int committers, Consumer<List<T>> together) {
    if (committers < 1) {
      throw new IllegalArgumentException("committers must be at least 1");
    }
    this.committerName = committerName;
    this.maxGroup = maxGroup;
    this.together = together;
    this.lanes = new Lane[committers];
    for (int i = 0; i < committers; i++) {
      lanes[i] = new Lane<>();
    }
    this.permits = new Semaphore(committers, true);
    this.committer =
        new ThreadPoolExecutor(
            committers,
            committers,
            1,
            TimeUnit.MINUTES,
            new LinkedBlockingQueue<>(),
            Thread.ofPlatform().name(committerName).daemon().factory());
    this.committer.allowCoreThreadTimeOut(true);
  }

  /** Runs {@code item} with the others of its group; returns once that group has run. */
  public void run(T item) {
    run(item, 0);
  }

  /**
   * Runs {@code item} with the others of its group, in the lane of {@code key}; returns once that
   * group has run.
   */
  public void run(T item, int key) {
    if (Thread.currentThread().getName().equals(committerName)) {
      throw new IllegalStateException("an item of a group ran another item inside its group");
    }
    Waiting<T> mine = new Waiting<>(item);
    Lane<T> lane = lanes[Math.floorMod(key, lanes.length)];
    boolean start;
    lock.lock();
    try {
      lane.waiting.add(mine);
      start = !lane.running;
      lane.running = true;
    } finally {
      lock.unlock();
    }
    if (start) {
      committer.execute(() -> runWhileWaiting(lane));
    }
    try {
      mine.done.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** Items waiting for their group (for tests). */
  public int waiting() {
    lock.lock();
    try {
      int waiting = 0;
      for (Lane<T> lane : lanes) {
        waiting += lane.waiting.size();
      }
      return waiting;
    } finally {
      lock.unlock();
    }
  }

  /** On a committer thread: the lane's groups, until nobody waits in it. */
  private void runWhileWaiting(Lane<T> lane) {
    while (true) {
      List<Waiting<T>> group = new ArrayList<>();
      lock.lock();
      try {
        while (group.size() < maxGroup && !lane.waiting.isEmpty()) {
          group.add(lane.waiting.poll());
        }
        if (group.isEmpty()) {
          lane.running = false;
          return;
        }
      } finally {
        lock.unlock();
      }
      try {
        runGroup(group.stream().map(Waiting::item).toList());
        group.forEach(item -> item.done.complete(null));
      } catch (RuntimeException | Error unexpected) {
        // Each item has its own result by now; this is a bug's last line: nobody hangs.
        group.forEach(item -> item.done.completeExceptionally(unexpected));
      }
    }
  }

  private void runGroup(List<T> items) {
    permits.acquireUninterruptibly();
    try {
      together.accept(items);
      return;
    } catch (RuntimeException | Error whole) {
      if (items.size() == 1 && lanes.length == 1) {
        items.getFirst().failed(whole); // it ran alone and exclusively
        return;
      }
    } finally {
      permits.release();
    }
    // Nothing of the group was written: each item alone, to each its own result, while no other
    // group runs.
    permits.acquireUninterruptibly(lanes.length);
    try {
      for (T item : items) {
        try {
          together.accept(List.of(item));
        } catch (RuntimeException | Error e) {
          item.failed(e);
        }
      }
    } finally {
      permits.release(lanes.length);
    }
  }

  /**
   * What came of an item: its value or its failure, written by the committer before the item's
   * group ends and read by the item's caller after ({@link #run} returning orders them).
   *
   * @param <R> the value
   */
  public abstract static class Result<R> {
    private R value;
    private Throwable failure;

    /** The item's run (in a group or alone) gave {@code value}; an earlier failure is forgotten. */
    public final void succeeded(R value) {
      this.value = value;
      this.failure = null;
    }

    public final void failed(Throwable failure) {
      this.value = null;
      this.failure = failure;
    }

    /** The value; or throws what the item failed with. */
    public final R get() {
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      return value;
    }
  }

  private record Waiting<T>(T item, CompletableFuture<Void> done) {
    Waiting(T item) {
      this(item, new CompletableFuture<>());
    }
  }
}
