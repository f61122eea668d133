package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.events.EventDraft;
import io.pullroute.routing.RoutingRepository.Grouped;
import io.pullroute.routing.RoutingRepository.Locks;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StatementCounts;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Group commit: commands that arrive while a transaction runs commit together in the next one; a
 * command that throws is undone alone, whether its writes were held or had run; a group locks the
 * rows its commands name and runs their writes in batches; a group that fails as a whole runs each
 * command alone.
 */
class GroupCommitTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_command_that_throws_in_a_group_is_undone_alone(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-undo");
      String x = org.intake(org.webChannel, 0);
      String y = org.intake(org.webChannel, 0);
      String a1 = org.id("a1");
      String a2 = org.id("a2");
      RoutingRepository repository = repository(server);
      long mark = EventsSeen.mark(server.server());

      List<RuntimeException> failures =
          repository.inGroupTransaction(
              List.of(
                  new Grouped(
                      org.orgId,
                      "first",
                      Locks.conversation(x),
                      tx -> {
                        tx.lockConversation(org.orgId, x);
                        assertThat(tx.claim(x, a1, tx.lockConversation(org.orgId, x).orElseThrow()))
                            .isTrue();
                        return List.of(draft(org.orgId, "first"));
                      }),
                  new Grouped(
                      org.orgId,
                      "undone",
                      Locks.conversation(y),
                      tx -> {
                        tx.lockConversation(org.orgId, y);
                        assertThat(tx.claim(y, a1, tx.lockConversation(org.orgId, y).orElseThrow()))
                            .isTrue();
                        throw new Conflict("conversation", "refused after writing");
                      }),
                  new Grouped(
                      org.orgId,
                      "third",
                      Locks.NONE,
                      tx -> {
                        tx.lockConversation(org.orgId, x);
                        tx.lockConversation(org.orgId, y);
                        // What the first wrote stays; what the second wrote is gone.
                        assertThat(tx.pulledBy(x)).isEqualTo(a1);
                        assertThat(tx.pulledBy(y)).isNull();
                        assertThat(tx.claim(y, a2, tx.lockConversation(org.orgId, y).orElseThrow()))
                            .isTrue();
                        return List.of(draft(org.orgId, "third"));
                      })));

      assertThat(failures.get(0)).isNull();
      assertThat(failures.get(1)).isInstanceOf(Conflict.class);
      assertThat(failures.get(2)).isNull();
      assertThat(repository.heldBy(org.orgId, x)).contains(a1);
      assertThat(repository.heldBy(org.orgId, y)).contains(a2);
      List<Event> events = EventsSeen.after(server.server(), org.orgId, mark);
      assertThat(events).extracting(Event::correlationId).containsExactly("first", "third");
      assertThat(events.get(1).seq()).isEqualTo(events.get(0).seq() + 1);
    }
  }

  /**
   * Undoing a command rolls back to its savepoint and tells no one, so events it appended itself
   * would still be handed to the hub at commit: a command of a group may not append.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_command_of_a_group_that_appends_events_itself_is_refused(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-append");
      RoutingRepository repository = repository(server);
      long mark = EventsSeen.mark(server.server());

      List<RuntimeException> failures =
          repository.inGroupTransaction(
              List.of(
                  new Grouped(
                      org.orgId,
                      "appends",
                      Locks.NONE,
                      tx -> {
                        tx.append(org.orgId, "appends", List.of(draft(org.orgId, "itself")));
                        return List.of();
                      }),
                  new Grouped(
                      org.orgId,
                      "returns",
                      Locks.NONE,
                      tx -> List.of(draft(org.orgId, "returned")))));

      assertThat(failures.get(0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("appended events itself");
      assertThat(failures.get(1)).isNull();
      assertThat(EventsSeen.after(server.server(), org.orgId, mark))
          .extracting(Event::correlationId)
          .containsExactly("returns");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_command_refused_after_its_writes_ran_is_undone_alone(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-undo-ran");
      String x = org.intake(org.webChannel, 0);
      String y = org.intake(org.webChannel, 0);
      String a1 = org.id("a1");
      RoutingRepository repository = repository(server);

      List<RuntimeException> failures =
          repository.inGroupTransaction(
              List.of(
                  new Grouped(
                      org.orgId,
                      "first",
                      Locks.of(x, a1),
                      tx -> {
                        tx.lockConversation(org.orgId, x);
                        assertThat(tx.claim(x, a1, tx.lockConversation(org.orgId, x).orElseThrow()))
                            .isTrue();
                        tx.addParticipant(x, new Participant(a1, "a1", tx.now()));
                        return List.of();
                      }),
                  new Grouped(
                      org.orgId,
                      "refused",
                      Locks.of(y, a1),
                      tx -> {
                        tx.lockConversation(org.orgId, y);
                        assertThat(tx.claim(y, a1, tx.lockConversation(org.orgId, y).orElseThrow()))
                            .isTrue();
                        tx.addParticipant(y, new Participant(a1, "a1", tx.now()));
                        // A read that must see the writes: they run now, this command's under its
                        // savepoint, the first command's before it.
                        assertThat(tx.openConversationCount(a1)).isEqualTo(2);
                        throw new Conflict("conversation", "refused after its writes ran");
                      }),
                  new Grouped(
                      org.orgId,
                      "after",
                      Locks.NONE,
                      tx -> {
                        assertThat(tx.openConversationCount(a1)).isEqualTo(1);
                        assertThat(tx.pulledBy(x)).isEqualTo(a1);
                        assertThat(tx.pulledBy(y)).isNull();
                        return List.of();
                      })));

      assertThat(failures.get(0)).isNull();
      assertThat(failures.get(1)).isInstanceOf(Conflict.class);
      assertThat(failures.get(2)).isNull();
      assertThat(repository.heldBy(org.orgId, x)).contains(a1);
      assertThat(repository.heldBy(org.orgId, y)).isEmpty();
      assertThat(repository.conversation(org.orgId, y).orElseThrow().participants()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_held_write_that_fails_fails_the_whole_group(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-broken");
      String x = org.intake(org.webChannel, 0);
      String y = org.intake(org.webChannel, 0);
      String a1 = org.id("a1");
      RoutingRepository repository = repository(server);

      assertThatThrownBy(
              () ->
                  repository.inGroupTransaction(
                      List.of(
                          new Grouped(
                              org.orgId,
                              "first",
                              Locks.conversation(x),
                              tx -> {
                                tx.addParticipant(x, new Participant(a1, "a1", tx.now()));
                                return List.of();
                              }),
                          new Grouped(
                              org.orgId,
                              "bad write",
                              Locks.conversation(y),
                              tx -> {
                                tx.addParticipant(y, new Participant(a1, "a1", tx.now()));
                                // Held: it fails only when the writes run, at the read below.
                                tx.addParticipant(
                                    y, new Participant("no-such-user", "?", tx.now()));
                                tx.openConversationCount(a1);
                                return List.of();
                              }))))
          .isInstanceOf(RuntimeException.class);

      // Nothing of the group committed, not even a part of the failed command's writes; the
      // committer then runs each command alone.
      assertThat(repository.conversation(org.orgId, x).orElseThrow().participants()).isEmpty();
      assertThat(repository.conversation(org.orgId, y).orElseThrow().participants()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_group_of_pulls_runs_a_few_statements_not_a_few_per_pull(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-statements");
      List<String> requests = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        requests.add(org.intake(org.webChannel, 0));
      }
      String a1 = org.id("a1");
      Jdbi jdbi = server.server().database().jdbi();
      RoutingRepository repository =
          new JdbiRoutingRepository(jdbi, server.clock(), server.server().database().dialect());
      // The agent has a state already, as an agent who has worked has.
      repository.inTransaction(tx -> tx.lockAgentState(org.orgId, a1));
      List<Grouped> pulls = new ArrayList<>();
      for (String id : requests) {
        pulls.add(
            new Grouped(
                org.orgId,
                "pull " + id,
                Locks.of(id, a1),
                tx -> {
                  Conversation locked = tx.lockConversation(org.orgId, id).orElseThrow();
                  assertThat(tx.pulledBy(id)).isNull();
                  Participant participant = new Participant(a1, "a1", tx.now());
                  assertThat(tx.claim(id, a1, locked.join(participant))).isTrue();
                  tx.lockAgentState(org.orgId, a1);
                  tx.addParticipant(id, participant);
                  tx.nextReferenceId();
                  return List.of(draft(org.orgId, id));
                }));
      }
      // Every statement this thread runs on the store, batches counted once.
      Thread test = Thread.currentThread();
      AtomicInteger statements;
      List<RuntimeException> failures;
      try (StatementCounts counts = StatementCounts.on(jdbi)) {
        statements = counts.finished(context -> Thread.currentThread() == test);
        failures = repository.inGroupTransaction(pulls);
      }

      assertThat(failures).containsOnlyNulls();
      for (String id : requests) {
        assertThat(repository.heldBy(org.orgId, id)).contains(a1);
        assertThat(repository.conversation(org.orgId, id).orElseThrow().participants())
            .extracting(Participant::userId)
            .containsExactly(a1);
      }
      // Locks: requests, their participants, the agent's state (3). Writes: the claims (with the
      // new state), the participants, one batch each (2). A block of referenceIds (1). Events:
      // the sequence, which answers its new values, and one batch (2). On PostgreSQL, first, that
      // the transaction keeps plans (1; io.pullroute.store.Plans). Ten pulls one by one ran about
      // 80.
      assertThat(statements.get()).isLessThanOrEqualTo(store == StoreKind.POSTGRES ? 9 : 8);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void commands_arriving_during_a_transaction_commit_together_in_the_next(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      String orgId = server.http().createOrganization("group-next").orgId();
      List<Integer> groups = Collections.synchronizedList(new ArrayList<>());
      GroupCommit commit = new GroupCommit(recording(server, groups, false), 1);
      long mark = EventsSeen.mark(server.server());

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first =
            callers.submit(
                () -> command(commit, orgId, "first", Locks.NONE, running, release, null));
        running.await();
        List<Future<String>> next = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          String name = "next-" + i;
          next.add(
              callers.submit(() -> command(commit, orgId, name, Locks.NONE, null, null, null)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> commit.waiting() == 5);
        release.countDown();

        assertThat(first.get()).isEqualTo("first");
        for (int i = 0; i < 5; i++) {
          assertThat(next.get(i).get()).isEqualTo("next-" + i);
        }
      }
      assertThat(groups).containsExactly(1, 5);
      List<Event> events = EventsSeen.after(server.server(), orgId, mark);
      assertThat(events).hasSize(6);
      assertThat(events.getFirst().correlationId()).isEqualTo("first");
      assertThat(events.subList(1, 6))
          .extracting(Event::correlationId)
          .containsExactlyInAnyOrder("next-0", "next-1", "next-2", "next-3", "next-4");
    }
  }

  /**
   * A pull refused in its transaction (the request was pulled already) reports its {@code
   * engagementCenter.Error} in that same transaction, alone or in a group: no second transaction,
   * no read of the request's number outside it.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_refused_pull_reports_its_error_in_its_own_transaction(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "refused-in-place");
      for (int committers = 1; committers <= 2; committers++) {
        String id = org.intake(org.webChannel, 0);
        long number = org.read(id).get("interactionId").asLong();
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        RoutingService routing =
            new RoutingService(
                watched(server, (method, args) -> calls.add(method)),
                new io.pullroute.admin.JdbiAdminRepository(
                    server.server().database().jdbi(), server.server().database().dialect()),
                committers);
        routing.pull(org.agent("a1"), id, org.ownedList, c -> {}, (b, a, r) -> List.of(), "won");
        calls.clear();
        long mark = EventsSeen.mark(server.server());

        assertThatThrownBy(
                () ->
                    routing.pull(
                        org.agent("a2"),
                        id,
                        org.ownedList,
                        c -> {},
                        (b, a, r) -> List.of(),
                        "lost"))
            .isInstanceOf(Conflict.class);

        assertThat(calls)
            .as("with %d committers", committers)
            .containsExactly(committers == 1 ? "runAlone" : "inGroupTransaction");
        List<Event> events = EventsSeen.after(server.server(), org.orgId, mark);
        assertThat(events).extracting(Event::type).containsExactly("engagementCenter.Error");
        assertThat(events.getFirst().correlationId()).isEqualTo("lost");
        assertThat(events.getFirst().audience()).containsExactly(Audience.user(org.id("a2")));
        assertThat(EventsSeen.payload(events.getFirst()).at("/payload/interactionId").asText())
            .isEqualTo(Long.toString(number));
        assertThat(repository(server).heldBy(org.orgId, id)).contains(org.id("a1"));
      }
    }
  }

  /**
   * A command refused after a write of its ran has no savepoint to return to when alone: its
   * transaction is rolled back, and its refusal's events commit in another. In a group, its
   * savepoint undoes it and its refusal's events take its place among the group's.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_refused_command_is_undone_and_its_refusal_events_committed(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "refused-undone");
      String x = org.intake(org.webChannel, 0);
      String y = org.intake(org.webChannel, 0);
      String a1 = org.id("a1");
      RoutingRepository repository = repository(server);
      long mark = EventsSeen.mark(server.server());

      // Alone: the claim of x runs at once (x was not read first), then the refusal.
      assertThatThrownBy(
              () ->
                  repository.runAlone(
                      new Grouped(
                          org.orgId,
                          "alone",
                          Locks.NONE,
                          tx -> {
                            Conversation read = repository.conversation(org.orgId, x).orElseThrow();
                            Participant joined = new Participant(a1, "a1", tx.now());
                            assertThat(tx.claim(x, a1, read.join(joined))).isTrue();
                            throw refused(org.orgId, "alone refused");
                          })))
          .isInstanceOf(Refused.class);
      // In a group, between two that commit.
      List<RuntimeException> failures =
          repository.inGroupTransaction(
              List.of(
                  new Grouped(
                      org.orgId, "before", Locks.NONE, tx -> List.of(draft(org.orgId, "b"))),
                  new Grouped(
                      org.orgId,
                      "grouped",
                      Locks.conversation(y),
                      tx -> {
                        Conversation read = tx.lockConversation(org.orgId, y).orElseThrow();
                        Participant joined = new Participant(a1, "a1", tx.now());
                        assertThat(tx.claim(y, a1, read.join(joined))).isTrue();
                        throw refused(org.orgId, "grouped refused");
                      }),
                  new Grouped(
                      org.orgId, "after", Locks.NONE, tx -> List.of(draft(org.orgId, "a")))));

      assertThat(failures.get(1)).isInstanceOf(Refused.class);
      assertThat(repository.heldBy(org.orgId, x)).isEmpty();
      assertThat(repository.heldBy(org.orgId, y)).isEmpty();
      List<Event> events = EventsSeen.after(server.server(), org.orgId, mark);
      assertThat(events)
          .extracting(event -> EventsSeen.payload(event).get("marker").asText())
          .containsExactly("alone refused", "b", "grouped refused", "a");
      assertThat(events)
          .extracting(Event::correlationId)
          .containsExactly("alone", "before", "grouped", "after");
    }
  }

  private static Refused refused(String orgId, String marker) {
    return new Refused(new Conflict("conversation", marker), List.of(draft(orgId, marker)));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_group_that_fails_as_a_whole_runs_each_command_alone(StoreKind store) throws Exception {
    try (TestServer server = TestServer.start(store)) {
      String orgId = server.http().createOrganization("group-alone").orgId();
      List<Integer> groups = Collections.synchronizedList(new ArrayList<>());
      GroupCommit commit = new GroupCommit(recording(server, groups, true), 1);
      long mark = EventsSeen.mark(server.server());

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<?> first =
            callers.submit(
                () ->
                    commit.run(
                        orgId,
                        "first",
                        Locks.NONE,
                        tx -> {
                          running.countDown();
                          awaitQuietly(release);
                          return RoutingService.Outcome.of("first", List.of());
                        }));
        running.await();
        Future<String> ok =
            callers.submit(
                () ->
                    commit
                        .run(
                            orgId,
                            "ok",
                            Locks.NONE,
                            tx -> RoutingService.Outcome.of("ok", List.of(draft(orgId, "ok"))))
                        .result());
        await().atMost(Duration.ofSeconds(10)).until(() -> commit.waiting() == 1);
        Future<String> refused =
            callers.submit(
                () ->
                    commit
                        .<String>run(
                            orgId,
                            "refused",
                            Locks.NONE,
                            tx -> {
                              throw new Conflict("conversation", "refused");
                            })
                        .result());
        await().atMost(Duration.ofSeconds(10)).until(() -> commit.waiting() == 2);
        release.countDown();

        first.get();
        assertThat(ok.get()).isEqualTo("ok");
        assertThatThrownBy(refused::get).hasCauseInstanceOf(Conflict.class);
      }
      // The group of two failed as a whole (injected); each then ran alone.
      assertThat(groups).containsExactly(1, 2, 1, 1);
      assertThat(EventsSeen.after(server.server(), orgId, mark))
          .extracting(Event::correlationId)
          .containsExactly("ok");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void with_two_committers_a_group_commits_while_another_is_still_open(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      String orgId = server.http().createOrganization("group-two").orgId();
      GroupCommit commit = new GroupCommit(repository(server), 2);
      long mark = EventsSeen.mark(server.server());

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first =
            callers.submit(
                () -> command(commit, orgId, "first", Locks.NONE, running, release, null));
        running.await();
        Future<String> second =
            callers.submit(() -> command(commit, orgId, "second", Locks.NONE, null, null, null));

        try {
          // With one committer, the second would wait for the first's transaction to end.
          assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("second");
          assertThat(first).isNotDone();
        } finally {
          release.countDown(); // else a failed assertion leaves the first waiting forever
        }
        assertThat(first.get()).isEqualTo("first");
      }
      // seq is commit order, whichever began first.
      assertThat(EventsSeen.after(server.server(), orgId, mark))
          .extracting(Event::correlationId)
          .containsExactly("second", "first");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void with_two_committers_commands_on_one_request_wait_for_the_same_group(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      String orgId = server.http().createOrganization("group-lane").orgId();
      GroupCommit commit = new GroupCommit(repository(server), 2);
      String request = "one-request";

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first =
            callers.submit(
                () ->
                    command(
                        commit,
                        orgId,
                        "first",
                        Locks.conversation(request),
                        running,
                        release,
                        null));
        running.await();
        List<Future<String>> racing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          String name = "racing-" + i;
          racing.add(
              callers.submit(
                  () ->
                      command(commit, orgId, name, Locks.conversation(request), null, null, null)));
        }
        try {
          // Queued behind the first in its lane, to run as one group: the other committer, idle,
          // did not take them (it would have waited there for the request's lock).
          await().atMost(Duration.ofSeconds(10)).until(() -> commit.waiting() == 3);
        } finally {
          release.countDown();
        }
        assertThat(first.get()).isEqualTo("first");
        for (int i = 0; i < 3; i++) {
          assertThat(racing.get(i).get()).isEqualTo("racing-" + i);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void groups_whose_later_locks_cross_give_way_and_run_again_exclusively(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      String orgId = server.http().createOrganization("group-cross").orgId();
      // Two requests of different lanes: the parity of their ids' hashes (and turn stripes).
      String a = "crossing-a";
      String b = "crossing-b";
      assertThat(Math.floorMod(a.hashCode(), 2)).isNotEqualTo(Math.floorMod(b.hashCode(), 2));
      List<RuntimeException> groupFailures = Collections.synchronizedList(new ArrayList<>());
      GroupCommit commit = new GroupCommit(failuresOf(repository(server), groupFailures), 2);
      long mark = EventsSeen.mark(server.server());

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        // Locks a ahead, then (once released) b.
        Future<String> first =
            callers.submit(
                () -> command(commit, orgId, "first", Locks.conversation(a), running, release, b));
        running.await();
        // Locks b ahead, then a, which the first holds: waiting for it would close a cycle.
        Future<String> second =
            callers.submit(
                () -> command(commit, orgId, "second", Locks.conversation(b), null, null, a));
        try {
          await()
              .atMost(Duration.ofSeconds(5))
              .untilAsserted(
                  () ->
                      assertThat(groupFailures)
                          .singleElement()
                          .isInstanceOf(io.pullroute.store.Turns.Contended.class));
        } finally {
          release.countDown(); // else a failed assertion leaves the first waiting forever
        }

        assertThat(first.get()).isEqualTo("first");
        assertThat(second.get()).isEqualTo("second");
      }
      // The second ran again once the first had committed, alone and exclusively.
      assertThat(groupFailures).hasSize(1);
      assertThat(EventsSeen.after(server.server(), orgId, mark))
          .extracting(Event::correlationId)
          .containsExactly("first", "second");
    }
  }

  @ParameterizedTest
  @EnumSource(value = StoreKind.class, names = "POSTGRES")
  void groups_deadlocked_in_the_store_run_again_exclusively(StoreKind store) throws Exception {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "group-deadlock");
      String orgId = org.orgId;
      String agentX = org.id("a1");
      String agentY = org.id("a2");
      RoutingRepository repository = repository(server);
      repository.inGroupTransaction(
          List.of(
              new Grouped(
                  orgId,
                  "states",
                  new Locks(Set.of(), Set.of(agentX, agentY)),
                  tx -> {
                    tx.lockAgentState(orgId, agentX); // made when missing
                    tx.lockAgentState(orgId, agentY);
                    return List.of();
                  })));
      List<RuntimeException> groupFailures = Collections.synchronizedList(new ArrayList<>());
      GroupCommit commit = new GroupCommit(failuresOf(repository, groupFailures), 2);

      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        // Each locks one agent's state ahead and the other's later, which no turn covers: the
        // two wait for each other in PostgreSQL, which breaks the cycle by failing one statement.
        // In different lanes: each also names a request of its own lane ("crossing-…", above).
        Future<String> first =
            callers.submit(
                () ->
                    stateCommand(
                        commit, orgId, "first", "crossing-a", agentY, agentX, running, release));
        running.await();
        Future<String> second =
            callers.submit(
                () ->
                    stateCommand(
                        commit, orgId, "second", "crossing-b", agentX, agentY, null, null));
        try {
          await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(server) > 0);
        } finally {
          release.countDown();
        }
        assertThat(first.get()).isEqualTo("first");
        assertThat(second.get()).isEqualTo("second");
      }
      // One group failed as a whole with the store's deadlock; its command ran again alone.
      assertThat(groupFailures).singleElement().isInstanceOf(org.jdbi.v3.core.JdbiException.class);
    }
  }

  /**
   * A command named {@code name} that locks {@code locks} ahead; once running it counts down {@code
   * running} and waits for {@code release} (either may be null), then locks {@code later} (if not
   * null), and appends an event marked with its name.
   */
  private static String command(
      GroupCommit commit,
      String orgId,
      String name,
      Locks locks,
      CountDownLatch running,
      CountDownLatch release,
      String later) {
    return commit
        .run(
            orgId,
            name,
            locks,
            tx -> {
              if (running != null) {
                running.countDown();
              }
              if (release != null) {
                awaitQuietly(release);
              }
              if (later != null) {
                tx.lockConversation(orgId, later);
              }
              return RoutingService.Outcome.of(name, List.of(draft(orgId, name)));
            })
        .result();
  }

  /**
   * A command in the lane of request {@code lane} that locks the state of agent {@code ahead} with
   * its group, counts down {@code running} and waits for {@code release} (either may be null), then
   * locks agent {@code later}'s.
   */
  private static String stateCommand(
      GroupCommit commit,
      String orgId,
      String name,
      String lane,
      String ahead,
      String later,
      CountDownLatch running,
      CountDownLatch release) {
    return commit
        .run(
            orgId,
            name,
            new Locks(Set.of(lane), Set.of(ahead)),
            tx -> {
              tx.lockAgentState(orgId, ahead);
              if (running != null) {
                running.countDown();
              }
              if (release != null) {
                awaitQuietly(release);
              }
              tx.lockAgentState(orgId, later);
              return RoutingService.Outcome.of(name, List.of(draft(orgId, name)));
            })
        .result();
  }

  /** PostgreSQL connections of the test server's database waiting for a lock. */
  private static int waitingForALock(TestServer server) {
    return server
        .server()
        .database()
        .jdbi()
        .withHandle(
            handle ->
                handle
                    .createQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            + " AND datname = current_database()")
                    .mapTo(Integer.class)
                    .one());
  }

  /** {@code real}, recording what each of its group transactions failed with as a whole. */
  private static RoutingRepository failuresOf(
      RoutingRepository real, List<RuntimeException> failures) {
    return (RoutingRepository)
        Proxy.newProxyInstance(
            RoutingRepository.class.getClassLoader(),
            new Class<?>[] {RoutingRepository.class},
            (proxy, method, args) -> {
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                if (method.getName().equals("inGroupTransaction")
                    && e.getCause() instanceof RuntimeException failure) {
                  failures.add(failure);
                }
                throw e.getCause();
              }
            });
  }

  /**
   * The real repository, recording the size of every transaction's group; with {@code failGroups},
   * every group of more than one command fails before it starts.
   */
  private static RoutingRepository recording(
      TestServer server, List<Integer> groups, boolean failGroups) {
    return watched(
        server,
        (method, args) -> {
          if (method.equals("runAlone")) {
            groups.add(1);
          } else if (method.equals("inGroupTransaction")) {
            groups.add(((List<?>) args[0]).size());
            if (failGroups && ((List<?>) args[0]).size() > 1) {
              throw new IllegalStateException("injected: the group failed as a whole");
            }
          }
        });
  }

  /** A repository on the test server's store that tells {@code calls} of each call first. */
  private static RoutingRepository watched(
      TestServer server, java.util.function.BiConsumer<String, Object[]> calls) {
    RoutingRepository real = repository(server);
    return (RoutingRepository)
        Proxy.newProxyInstance(
            RoutingRepository.class.getClassLoader(),
            new Class<?>[] {RoutingRepository.class},
            (proxy, method, args) -> {
              calls.accept(method.getName(), args);
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** A repository on the test server's store, as a second server would have. */
  private static RoutingRepository repository(TestServer server) {
    return new JdbiRoutingRepository(
        server.server().database().jdbi(), server.clock(), server.server().database().dialect());
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static EventDraft draft(String orgId, String marker) {
    return new EventDraft(
        "test.Grouped",
        "lists",
        "L",
        Set.of(Audience.organization(orgId)),
        "{\"marker\":\"" + marker + "\"}");
  }
}
