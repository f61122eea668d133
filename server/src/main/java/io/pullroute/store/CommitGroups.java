package io.pullroute.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Groups of work for one transaction each. Items that arrive while a group runs wait and then run
 * together in the next group (at most {@code maxGroup}): the store's commit is paid once per group
 * instead of once per item. Alone, an item runs at once in a group of its own.
 *
 * <p>One committer thread runs the groups, one after the other; {@link #run} returns once the
 * caller's group has run. What a group does with its items, and how each item learns its own result
 * ({@link Result#succeeded}), is the owner's {@code together}. When a group fails as a whole, each
 * of its items runs again alone, so nobody gets another item's failure; an item that fails alone is
 * given its failure. An item must not be run from inside a group (it would wait for itself): that
 * fails at once. Thread-safe.
 *
 * @param <T> an item, which carries its own result
 */
public final class CommitGroups<T extends CommitGroups.Result<?>> {
  private final String committerName;
  private final int maxGroup;
  private final Consumer<List<T>> together;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
  private boolean running;

  /**
   * The committer: one platform thread, started when items wait and gone after a minute without.
   * Not a virtual thread: every caller waits for it, so it must not queue for a carrier behind the
   * request handlers it serves.
   */
  private final ThreadPoolExecutor committer;

  /**
   * Groups for {@code together}, which runs on a thread named {@code committerName}, writes a
   * group's items in one transaction and gives each its result, or throws when nothing of the group
   * was written.
   */
  public CommitGroups(String committerName, int maxGroup, Consumer<List<T>> together) {
    this.committerName = committerName;
    this.maxGroup = maxGroup;
    this.together = together;
    this.committer =
        new ThreadPoolExecutor(
            0,
            1,
            1,
            TimeUnit.MINUTES,
            new LinkedBlockingQueue<>(),
            Thread.ofPlatform().name(committerName).daemon().factory());
  }

  /** Runs {@code item} with the others of its group; returns once that group has run. */
  public void run(T item) {
    if (Thread.currentThread().getName().equals(committerName)) {
      throw new IllegalStateException("an item of a group ran another item inside its group");
    }
    Waiting<T> mine = new Waiting<>(item);
    boolean start;
    lock.lock();
    try {
      waiting.add(mine);
      start = !running;
      running = true;
    } finally {
      lock.unlock();
    }
    if (start) {
      committer.execute(this::runWhileWaiting);
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
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** On the committer thread: groups, one after the other, until nobody waits. */
  private void runWhileWaiting() {
    while (true) {
      List<Waiting<T>> group = new ArrayList<>();
      lock.lock();
      try {
        while (group.size() < maxGroup && !waiting.isEmpty()) {
          group.add(waiting.poll());
        }
        if (group.isEmpty()) {
          running = false;
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
    try {
      together.accept(items);
      return;
    } catch (RuntimeException | Error whole) {
      if (items.size() == 1) {
        items.getFirst().failed(whole);
        return;
      }
    }
    // Nothing of the group was written: each item alone, to each its own result.
    for (T item : items) {
      try {
        together.accept(List.of(item));
      } catch (RuntimeException | Error e) {
        item.failed(e);
      }
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
