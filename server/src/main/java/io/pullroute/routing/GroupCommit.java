package io.pullroute.routing;

import io.pullroute.events.EventDraft;
import io.pullroute.routing.RoutingRepository.Grouped;
import io.pullroute.store.CommitGroups;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Group commit of routing commands. Commands that arrive while a transaction is running wait and
 * then run together in the next one (at most {@value #MAX_GROUP}): one commit, one turn on the
 * event sequence and one write of the store for the group, instead of one each. Under load the
 * store's commit — which serializes every command that appends events — is paid once per group;
 * alone, a command runs at once in a transaction of its own, as before.
 *
 * <p>One or more committer threads run groups, each in its own transaction ({@link CommitGroups});
 * callers wait for theirs. A command joins the lane of the request it names, so commands racing for
 * one request share a group. Groups running at once cannot wait for each other in a cycle: each
 * takes the turns of the requests its commands name first, together and in order, and a turn a
 * command asks for later is only taken when free ({@link io.pullroute.store.Turns}). A command must
 * not run another command inside its own transaction (it would wait for itself): that fails at
 * once.
 *
 * <p>A command that throws is undone alone and gets its own exception; when the group as a whole
 * fails (its commit, a later turn held by another group, say), each of its commands is run again
 * alone while no other group runs, so nobody gets another command's failure. Thread-safe.
 */
final class GroupCommit {
  /**
   * Most commands in one transaction. Each runs under a savepoint; PostgreSQL tracks up to 64
   * subtransactions of a transaction in shared memory before it spills them to disk.
   */
  static final int MAX_GROUP = 64;

  private final RoutingRepository repository;
  private final int committers;
  private final CommitGroups<Pending<?>> groups;

  /** Spreads commands that name no row over the lanes. */
  private final AtomicInteger unlocked = new AtomicInteger();

  /**
   * With {@code committers} groups at once, each on a committer thread and a connection of its own
   * (1: one after the other; see {@link io.pullroute.store.Dialect#routingCommitters}).
   */
  GroupCommit(RoutingRepository repository, int committers) {
    this.repository = repository;
    this.committers = committers;
    this.groups = new CommitGroups<>("pullroute-group-commit", MAX_GROUP, committers, this::commit);
  }

  /** Runs {@code work} in a transaction, with others; returns once it has committed. */
  <T> RoutingService.Outcome<T> run(
      String orgId,
      String correlationId,
      RoutingRepository.Locks locks,
      Function<RoutingRepository.Tx, RoutingService.Outcome<T>> work) {
    Pending<T> mine = new Pending<>(orgId, correlationId, locks, work);
    groups.run(mine, lane(locks));
    return mine.get();
  }

  /**
   * The lane of a command that locks {@code locks}: its request's, so that commands on one request
   * (agents racing to pull it, say) share a group rather than wait for each other's; else its
   * agent's; else the next lane in turn. With two lanes, a request's lane is its turn's stripe's
   * parity, so groups of different lanes never ask for each other's turns of the requests they
   * name.
   */
  private int lane(RoutingRepository.Locks locks) {
    if (!locks.conversations().isEmpty()) {
      return Collections.min(locks.conversations()).hashCode();
    }
    if (!locks.agents().isEmpty()) {
      return Collections.min(locks.agents()).hashCode();
    }
    return unlocked.getAndIncrement();
  }

  /** Commands waiting for their group (for tests). */
  int waiting() {
    return groups.waiting();
  }

  /**
   * On the committer thread: one group, each command given its own result; throws when the group
   * failed as a whole (its commit, say), and {@link CommitGroups} then runs each command alone.
   */
  private void commit(List<Pending<?>> group) {
    if (group.size() == 1 && committers == 1) {
      // Nothing else runs: its locks need no order, and no savepoint is needed to refuse it.
      group.getFirst().runAlone(repository);
      return;
    }
    // With other groups running, a group of one too locks its rows ahead, in the order they do.
    List<RuntimeException> failures =
        repository.inGroupTransaction(group.stream().map(Pending::grouped).toList());
    for (int i = 0; i < group.size(); i++) {
      if (failures.get(i) != null) {
        group.get(i).failed(failures.get(i));
      }
    }
  }

  /** A command waiting for its transaction, and then what came of it. */
  private static final class Pending<T> extends CommitGroups.Result<RoutingService.Outcome<T>> {
    private final String orgId;
    private final String correlationId;
    private final RoutingRepository.Locks locks;
    private final Function<RoutingRepository.Tx, RoutingService.Outcome<T>> work;

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
      RoutingService.Outcome<T> outcome = work.apply(tx);
      succeeded(outcome);
      return outcome.events();
    }

    /**
     * In a transaction of its own; what it throws, {@link CommitGroups} gives it as its failure.
     */
    void runAlone(RoutingRepository repository) {
      repository.runAlone(grouped());
    }
  }
}
