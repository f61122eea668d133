package io.pullroute.routing;

import io.pullroute.events.EventDraft;
import io.pullroute.routing.RoutingRepository.Grouped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Group commit of routing commands. Commands that arrive while a transaction is running wait and
 * then run together in the next one (at most {@value #MAX_GROUP}): one commit, one turn on the
 * event sequence and one write of the store for the group, instead of one each. Under load the
 * store's commit — which serializes every command that appends events — is paid once per group;
 * alone, a command runs at once in a transaction of its own, as before.
 *
 * <p>One committer thread runs the groups, one after the other; callers wait for theirs. So one
 * group runs at a time in this process, which is what lets a group lock many requests without a
 * cycle of waits with another group. A command must not run another command inside its own
 * transaction (it would wait for itself): that fails at once.
 *
 * <p>A command that throws is undone alone and gets its own exception; when the group as a whole
 * fails (its commit, say), each of its commands is run again alone, so nobody gets another
 * command's failure. Thread-safe.
 */
final class GroupCommit {
  /**
   * Most commands in one transaction. Each runs under a savepoint; PostgreSQL tracks up to 64
   * subtransactions of a transaction in shared memory before it spills them to disk.
   */
  static final int MAX_GROUP = 64;

  private static final String COMMITTER = "pullroute-group-commit";

  private final RoutingRepository repository;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Pending<?>> waiting = new ArrayDeque<>();
  private boolean running;

  /**
   * The committer: one platform thread, started when commands wait and gone after a minute without.
   * Not a virtual thread: every command of the process waits for it, so it must not queue for a
   * carrier behind the request handlers it serves.
   */
  private final ThreadPoolExecutor committer =
      new ThreadPoolExecutor(
          0,
          1,
          1,
          TimeUnit.MINUTES,
          new LinkedBlockingQueue<>(),
          Thread.ofPlatform().name(COMMITTER).daemon().factory());

  GroupCommit(RoutingRepository repository) {
    this.repository = repository;
  }

  /** Runs {@code work} in a transaction, with others; returns once it has committed. */
  <T> RoutingService.Outcome<T> run(
      String orgId,
      String correlationId,
      RoutingRepository.Locks locks,
      Function<RoutingRepository.Tx, RoutingService.Outcome<T>> work) {
    if (Thread.currentThread().getName().equals(COMMITTER)) {
      throw new IllegalStateException("a command ran another command inside its transaction");
    }
    Pending<T> mine = new Pending<>(orgId, correlationId, locks, work);
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
      committer.execute(this::commitWhileWaiting);
    }
    mine.done.join();
    return mine.outcome();
  }

  /** Commands waiting for their group (for tests). */
  int waiting() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** On the committer thread: groups, one after the other, until nobody waits. */
  private void commitWhileWaiting() {
    while (true) {
      List<Pending<?>> group = new ArrayList<>();
      lock.lock();
      try {
        while (group.size() < MAX_GROUP && !waiting.isEmpty()) {
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
        commit(group);
      } catch (RuntimeException | Error unexpected) {
        // commit() gives each command its own result; this is a bug's last line: nobody hangs.
        group.forEach(pending -> pending.failed(unexpected));
      } finally {
        group.forEach(pending -> pending.done.complete(null));
      }
    }
  }

  private void commit(List<Pending<?>> group) {
    if (group.size() == 1) {
      group.getFirst().runAlone(repository);
      return;
    }
    List<RuntimeException> failures;
    try {
      failures = repository.inGroupTransaction(group.stream().map(Pending::grouped).toList());
    } catch (RuntimeException | Error whole) {
      // Nothing of the group committed: each command alone, to each its own result.
      group.forEach(pending -> pending.runAlone(repository));
      return;
    }
    for (int i = 0; i < group.size(); i++) {
      if (failures.get(i) != null) {
        group.get(i).failed(failures.get(i));
      }
    }
  }

  /** A command waiting for its transaction, and then what came of it. */
  private static final class Pending<T> {
    private final String orgId;
    private final String correlationId;
    private final RoutingRepository.Locks locks;
    private final Function<RoutingRepository.Tx, RoutingService.Outcome<T>> work;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    // Written by the committer before done completes, read by the caller after: done orders them.
    private RoutingService.Outcome<T> outcome;
    private Throwable failure;

    Pending(
        String orgId,
        String correlationId,
        RoutingRepository.Locks locks,
        Function<RoutingRepository.Tx, RoutingService.Outcome<T>> work) {
      this.orgId = orgId;
      this.correlationId = correlationId;
      this.locks = locks;
      this.work = work;
    }

    Grouped grouped() {
      return new Grouped(orgId, correlationId, locks, this::apply);
    }

    private List<EventDraft> apply(RoutingRepository.Tx tx) {
      outcome = work.apply(tx);
      failure = null;
      return outcome.events();
    }

    void runAlone(RoutingRepository repository) {
      try {
        repository.inTransaction(grouped()::runAlone);
      } catch (RuntimeException | Error e) {
        failed(e);
      }
    }

    void failed(Throwable e) {
      outcome = null;
      failure = e;
    }

    RoutingService.Outcome<T> outcome() {
      if (failure instanceof RuntimeException refused) {
        throw refused;
      }
      if (failure instanceof Error error) {
        throw error;
      }
      return outcome;
    }
  }
}
