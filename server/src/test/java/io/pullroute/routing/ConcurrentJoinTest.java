package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.events.EventHub;
import io.pullroute.events.Interest;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fifty agents racing over HTTP to join, leave and close the same request, round after round
 * (DESIGN.md §4.4, §5.1, §5.2, §5.6): no 5xx, the state agrees with the participants, no join
 * succeeds after a close in commit order, and replaying the request's events gives its state.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class ConcurrentJoinTest {
  private static final int AGENTS = 50;
  private static final int CLOSERS = 3;
  private static final long SEED = 20_250_611L;
  private static final String MARKER = "marker";

  @Parameter StoreKind store;

  static TestServer server;
  static ApiClient http;
  static Org org;
  static String listId;
  static String channelId;
  static final List<String> agentIds = new ArrayList<>();
  static final List<String> agentTokens = new ArrayList<>();
  static String markerId;
  static String markerToken;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    http = server.http();
    org = http.createOrganization("race");
    listId = created(http.post("/api/v1/lists", org.adminToken(), Map.of("name", "Race")));
    channelId =
        created(
            http.post(
                "/api/v1/channels",
                org.adminToken(),
                Map.of(
                    "name", "web", "channelType", "WEB", "routingMode", "PULL", "listId", listId)));
    // Password hashing dominates the set-up: a few at a time on the two cores.
    List<String> usernames = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      usernames.add("agent-" + i);
    }
    usernames.add(MARKER);
    List<String[]> users = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
      List<Future<String[]>> futures = new ArrayList<>();
      for (String username : usernames) {
        futures.add(
            pool.submit(
                () ->
                    new String[] {
                      createAgent(username),
                      http.userToken(org.orgId(), username, password(username))
                    }));
      }
      for (Future<String[]> future : futures) {
        users.add(future.get(120, TimeUnit.SECONDS));
      }
    } catch (Exception e) {
      throw new AssertionError("creating the agents failed", e);
    }
    agentIds.clear();
    agentTokens.clear();
    for (int i = 0; i < AGENTS; i++) {
      agentIds.add(users.get(i)[0]);
      agentTokens.add(users.get(i)[1]);
    }
    markerId = users.get(AGENTS)[0];
    markerToken = users.get(AGENTS)[1];
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (server != null) {
      server.close();
    }
    server = null;
    http = null;
  }

  // ---- the race

  @Test
  void agents_racing_to_join_leave_and_close_keep_state_participants_and_events_in_agreement()
      throws Exception {
    int rounds = store == StoreKind.H2 ? 10 : 5;
    for (int round = 0; round < rounds; round++) {
      boolean withClosers = round % 2 == 0;
      String label = "race-" + round + (withClosers ? " (with closers)" : " (join and leave)");
      long cursor = hub().headSeq();
      String conversationId = intake("intake-" + round);

      List<Op> ops = race(round, conversationId, withClosers, null);
      syncHub(cursor, "marker-race-" + round);

      checkRound(label, conversationId, withClosers, ops, cursor);
    }
  }

  @Test
  void reads_during_the_race_always_answer_a_consistent_conversation() throws Exception {
    int rounds = 3;
    for (int round = 0; round < rounds; round++) {
      long cursor = hub().headSeq();
      String conversationId = intake("intake-read-" + round);
      List<String> inconsistent = Collections.synchronizedList(new ArrayList<>());

      List<Op> ops = race(100 + round, conversationId, round == 2, inconsistent);
      syncHub(cursor, "marker-read-" + round);

      assertThat(inconsistent)
          .as("reads of conversation %s while agents raced (round %d)", conversationId, round)
          .isEmpty();
      checkRound("read-" + round, conversationId, round == 2, ops, cursor);
    }
  }

  // ---- one round

  private enum Kind {
    JOIN,
    LEAVE,
    CLOSE
  }

  /**
   * One request an agent made.
   *
   * @param memberBefore whether the agent was a participant as far as its own requests tell
   */
  private record Op(
      int agent, Kind kind, int status, String correlationId, boolean memberBefore, String body) {
    @Override
    public String toString() {
      return "agent-" + agent + " " + kind + " → " + status + " [" + correlationId + "] " + body;
    }
  }

  /** What each agent does in a round: a random mix, and join-then-close for the closers. */
  private static List<Kind> plan(Random random, boolean closer) {
    if (closer) {
      return List.of(Kind.JOIN, Kind.CLOSE);
    }
    return switch (random.nextInt(10)) {
      case 0, 1 -> List.of(Kind.LEAVE, Kind.JOIN); // leaving before joining is refused
      case 2, 3 -> List.of(Kind.JOIN, Kind.JOIN); // joining again changes nothing
      case 4, 5, 6 -> List.of(Kind.JOIN, Kind.LEAVE);
      case 7, 8 -> List.of(Kind.JOIN, Kind.LEAVE, Kind.JOIN);
      default -> List.of(Kind.JOIN);
    };
  }

  /**
   * Runs the agents of one round together; with {@code inconsistent} non-null, two readers read the
   * request meanwhile and note every answer that is not a consistent 200.
   */
  private List<Op> race(
      int round, String conversationId, boolean withClosers, List<String> inconsistent)
      throws Exception {
    Random random = new Random(SEED + round);
    Set<Integer> closers = new HashSet<>();
    while (withClosers && closers.size() < CLOSERS) {
      closers.add(random.nextInt(AGENTS));
    }
    List<List<Kind>> plans = new ArrayList<>();
    for (int agent = 0; agent < AGENTS; agent++) {
      plans.add(plan(random, closers.contains(agent)));
    }

    List<Op> ops = Collections.synchronizedList(new ArrayList<>());
    int readers = inconsistent == null ? 0 : 2;
    CountDownLatch ready = new CountDownLatch(AGENTS + readers);
    CountDownLatch go = new CountDownLatch(1);
    AtomicBoolean agentsDone = new AtomicBoolean();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> agents = new ArrayList<>();
      for (int agent = 0; agent < AGENTS; agent++) {
        int me = agent;
        agents.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  boolean member = false;
                  int step = 0;
                  for (Kind kind : plans.get(me)) {
                    String correlationId = "r" + round + "-a" + me + "-" + step++;
                    Response response =
                        command(conversationId, kind, agentTokens.get(me), correlationId);
                    ops.add(
                        new Op(
                            me, kind, response.status(), correlationId, member, response.body()));
                    if (response.status() == 200) {
                      member = kind == Kind.JOIN;
                    } else if (response.status() == 409 && kind == Kind.JOIN) {
                      member = false; // closed meanwhile, which removed everybody
                    }
                  }
                  return null;
                }));
      }
      List<Future<?>> readerFutures = new ArrayList<>();
      for (int reader = 0; reader < readers; reader++) {
        String token = agentTokens.get(reader);
        readerFutures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  for (int read = 0; read < 150 && !agentsDone.get(); read++) {
                    String problem = readProblem(conversationId, token);
                    if (problem != null) {
                      inconsistent.add(problem);
                    }
                  }
                  return null;
                }));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      for (Future<?> agent : agents) {
        agent.get(120, TimeUnit.SECONDS);
      }
      agentsDone.set(true);
      for (Future<?> reader : readerFutures) {
        reader.get(120, TimeUnit.SECONDS);
      }
    }
    return new ArrayList<>(ops);
  }

  private void checkRound(
      String label, String conversationId, boolean withClosers, List<Op> ops, long cursor) {
    // ---- answers
    List<Op> refused = new ArrayList<>();
    for (Op op : ops) {
      boolean allowed =
          switch (op.kind()) {
            case JOIN, LEAVE -> op.status() == 200 || op.status() == 409;
            // A closer whose close comes after another one's no longer is a participant: 403.
            case CLOSE -> op.status() == 200 || op.status() == 409 || op.status() == 403;
          };
      if (!allowed) {
        refused.add(op);
      }
    }
    assertThat(refused).as("%s: answers other than 200/409 (403 for close)", label).isEmpty();

    List<Op> closes = ops.stream().filter(op -> op.kind() == Kind.CLOSE).toList();
    List<Op> closed200 = closes.stream().filter(op -> op.status() == 200).toList();
    assertThat(closed200).as("%s: successful closes", label).hasSizeLessThanOrEqualTo(1);
    boolean closed = closed200.size() == 1;
    if (withClosers) {
      // A closer joined first and nobody else removes it, so some close must succeed.
      assertThat(closed).as("%s: one of the closers %s closed it", label, closes).isTrue();
    }
    boolean anyJoined = ops.stream().anyMatch(op -> op.kind() == Kind.JOIN && op.status() == 200);

    // The agents' own view: in a round without a close every answer is known in advance.
    Set<String> expectedParticipants = new TreeSet<>();
    if (!closed) {
      Map<Integer, Boolean> member = new HashMap<>();
      for (Op op : ops) {
        switch (op.kind()) {
          case JOIN -> {
            assertThat(op.status()).as("%s: %s", label, op).isEqualTo(200);
            member.put(op.agent(), true);
          }
          case LEAVE -> {
            assertThat(op.status())
                .as("%s: %s", label, op)
                .isEqualTo(op.memberBefore() ? 200 : 409);
            member.put(op.agent(), false);
          }
          case CLOSE -> throw new AssertionError(label + ": unexpected close " + op);
        }
      }
      member.forEach(
          (agent, in) -> {
            if (in) {
              expectedParticipants.add(agentIds.get(agent));
            }
          });
    } else {
      for (Op op : ops) {
        if (op.kind() == Kind.LEAVE && !op.memberBefore()) {
          assertThat(op.status()).as("%s: leave by a non-participant %s", label, op).isEqualTo(409);
        }
      }
    }

    // ---- the state, read afterwards
    Response read = http.get("/api/v1/conversations/" + conversationId, org.adminToken());
    assertThat(read.status()).as("%s: %s", label, read).isEqualTo(200);
    JsonNode conversation = read.json();
    String state = conversation.get("state").asText();
    Set<String> participants = new TreeSet<>();
    conversation.get("participants").forEach(p -> participants.add(p.get("userId").asText()));

    assertThat(state.equals("ACTIVE"))
        .as("%s: state %s agrees with participants %s", label, state, participants)
        .isEqualTo(!participants.isEmpty());
    if (state.equals("UNREAD")) {
      assertThat(anyJoined).as("%s: UNREAD although someone joined", label).isFalse();
    }
    if (closed) {
      assertThat(state).as(label).isEqualTo("CLOSED");
      assertThat(participants).as(label).isEmpty();
      assertThat(conversation.get("closedAt").isNull()).as("%s: closedAt", label).isFalse();
    } else {
      assertThat(participants).as("%s: participants", label).isEqualTo(expectedParticipants);
      String expectedState = !participants.isEmpty() ? "ACTIVE" : anyJoined ? "INACTIVE" : "UNREAD";
      assertThat(state).as("%s: state", label).isEqualTo(expectedState);
    }

    // ---- the events
    List<Event> orgEvents =
        hub()
            .read(
                Interest.of(org.orgId(), Set.of(Audience.organization(org.orgId()))),
                cursor,
                1_000_000)
            .events();
    List<Event> events =
        orgEvents.stream().filter(event -> concerns(event, conversationId)).toList();
    Map<String, List<Event>> byCorrelation = new LinkedHashMap<>();
    events.forEach(
        event ->
            byCorrelation
                .computeIfAbsent(String.valueOf(event.correlationId()), k -> new ArrayList<>())
                .add(event));

    Replay replay = replay(label, events);
    assertThat(replay.participants)
        .as("%s: participants replayed from the events", label)
        .isEqualTo(participants);
    assertThat(replay.lastStatus.equals("CREATED") ? "UNREAD" : replay.lastStatus)
        .as("%s: status of the last pullMode event", label)
        .isEqualTo(state);
    assertThat(replay.removals)
        .as("%s: ListRequestRemoved events", label)
        .isEqualTo(closed ? 1 : 0);

    // Each command that changed something published its events, in one piece; no other did.
    Set<String> changing = new HashSet<>();
    changing.add(events.getFirst().correlationId());
    for (Op op : ops) {
      List<Event> own = byCorrelation.getOrDefault(op.correlationId(), List.of());
      if (op.status() != 200 || (op.kind() == Kind.JOIN && op.memberBefore())) {
        assertThat(own).as("%s: events of %s", label, op).isEmpty();
        continue;
      }
      changing.add(op.correlationId());
      String agentId = agentIds.get(op.agent());
      switch (op.kind()) {
        case JOIN -> {
          assertThat(own)
              .as("%s: events of %s", label, op)
              .anyMatch(
                  e -> e.type().equals("messaging.EntityAdded") && entityId(e).equals(agentId))
              .anyMatch(
                  e ->
                      e.type().equals("pullMode.ListRequestUpdated")
                          && pullMode(e).get("status").asText().equals("ACTIVE"));
        }
        case LEAVE ->
            assertThat(own)
                .as("%s: events of %s", label, op)
                .anyMatch(
                    e -> e.type().equals("messaging.EntityRemoved") && entityId(e).equals(agentId))
                .anyMatch(e -> e.type().equals("pullMode.ListRequestUpdated"));
        case CLOSE ->
            assertThat(own)
                .as("%s: events of %s", label, op)
                .anyMatch(
                    e ->
                        e.type().equals("pullMode.ListRequestRemoved")
                            && pullMode(e).get("status").asText().equals("CLOSED"));
      }
      List<Long> seqs =
          orgEvents.stream()
              .filter(e -> op.correlationId().equals(e.correlationId()))
              .map(Event::seq)
              .toList();
      assertThat(seqs.getLast() - seqs.getFirst() + 1)
          .as("%s: the events of %s are consecutive: %s", label, op, seqs)
          .isEqualTo(seqs.size());
    }
    assertThat(byCorrelation.keySet())
        .as("%s: every event of the request comes from a command that succeeded", label)
        .isSubsetOf(changing);
  }

  /** The participants and status the request's events give, replayed in seq order. */
  private static final class Replay {
    final Set<String> participants = new TreeSet<>();
    String lastStatus;
    int removals;
  }

  private static Replay replay(String label, List<Event> events) {
    Replay replay = new Replay();
    assertThat(events).as("%s: the request's events", label).isNotEmpty();
    Event first = events.getFirst();
    assertThat(first.type()).as("%s: first event", label).isEqualTo("pullMode.ListRequestReceived");
    replay.lastStatus = pullMode(first).get("status").asText();
    assertThat(replay.lastStatus).isEqualTo("CREATED");

    String removedBy = null;
    String transaction = first.correlationId();
    String transactionStatus = replay.lastStatus;
    for (Event event : events.subList(1, events.size())) {
      if (!String.valueOf(event.correlationId()).equals(transaction)) {
        checkTransaction(label, transaction, transactionStatus, replay.participants);
        transaction = String.valueOf(event.correlationId());
        transactionStatus = null;
      }
      switch (event.type()) {
        case "pullMode.ListRequestReceived" ->
            throw new AssertionError(label + ": a second ListRequestReceived " + event);
        case "pullMode.ListRequestUpdated" -> {
          assertThat(removedBy).as("%s: an update after the close: %s", label, event).isNull();
          transactionStatus = pullMode(event).get("status").asText();
          replay.lastStatus = transactionStatus;
        }
        case "pullMode.ListRequestRemoved" -> {
          assertThat(removedBy).as("%s: a second removal: %s", label, event).isNull();
          removedBy = event.correlationId();
          replay.removals++;
          transactionStatus = pullMode(event).get("status").asText();
          replay.lastStatus = transactionStatus;
        }
        case "messaging.EntityAdded" -> {
          assertThat(removedBy)
              .as("%s: a join committed after the close: %s", label, event)
              .isNull();
          if (entityType(event) == RoutingEvents.AGENT) {
            assertThat(replay.participants.add(entityId(event)))
                .as("%s: %s added twice", label, entityId(event))
                .isTrue();
          }
        }
        case "messaging.EntityRemoved" -> {
          if (removedBy != null) {
            assertThat(event.correlationId())
                .as("%s: only the close itself removes after the close: %s", label, event)
                .isEqualTo(removedBy);
          }
          assertThat(replay.participants.remove(entityId(event)))
              .as("%s: %s removed but not a participant", label, entityId(event))
              .isTrue();
        }
        default -> {
          // texts do not change the participants
        }
      }
    }
    checkTransaction(label, transaction, transactionStatus, replay.participants);
    return replay;
  }

  /** After each command's events: the status it announced agrees with the participants. */
  private static void checkTransaction(
      String label, String correlationId, String status, Set<String> participants) {
    if (status == null) {
      return;
    }
    assertThat(status.equals("ACTIVE"))
        .as(
            "%s: after %s the status %s agrees with participants %s",
            label, correlationId, status, participants)
        .isEqualTo(!participants.isEmpty());
  }

  // ---- reads while racing

  /** A description of what is wrong with one read, or null when it is a consistent 200. */
  private static String readProblem(String conversationId, String token) {
    Response response = http.get("/api/v1/conversations/" + conversationId, token);
    if (response.status() != 200) {
      return response.toString();
    }
    JsonNode conversation = response.json();
    String state = conversation.get("state").asText();
    int participants = conversation.get("participants").size();
    if (state.equals("ACTIVE") != (participants > 0)) {
      return state + " with " + participants + " participants";
    }
    return null;
  }

  // ---- helpers

  private static EventHub hub() {
    return server.server().hub();
  }

  private static String intake(String correlationId) {
    Response response =
        http.send(
            http.request("/api/v1/channels/" + channelId + "/conversations")
                .header("Authorization", "Bearer " + org.adminToken())
                .header("X-Correlation-Id", correlationId)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"customer\":{\"firstName\":\"C\"},\"text\":\"hi\"}")));
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    assertThat(response.json().get("state").asText()).isEqualTo("UNREAD");
    return response.json().get("id").asText();
  }

  private static Response command(
      String conversationId, Kind kind, String token, String correlationId) {
    String path =
        "/api/v1/conversations/"
            + conversationId
            + "/"
            + kind.name().toLowerCase(java.util.Locale.ROOT);
    return http.send(
        http.request(path)
            .header("Authorization", "Bearer " + token)
            .header("X-Correlation-Id", correlationId)
            .POST(HttpRequest.BodyPublishers.noBody()));
  }

  /**
   * Commits one more event after the round, as the marker agent, and waits until the hub has it: as
   * seq is commit order, the hub then has every event of the round too.
   */
  private static void syncHub(long cursor, String correlationId) {
    Response response =
        http.send(
            http.request("/api/v1/me/state")
                .header("Authorization", "Bearer " + markerToken)
                .header("X-Correlation-Id", correlationId)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"state\":\"READY\"}")));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    Interest marker = Interest.of(org.orgId(), Set.of(Audience.user(markerId)));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                hub().read(marker, cursor, 1_000_000).events().stream()
                    .anyMatch(event -> correlationId.equals(event.correlationId())));
  }

  /** The request's events: messaging ones by resource, pullMode ones by the request inside. */
  private static boolean concerns(Event event, String conversationId) {
    if (event.category().equals("messaging")) {
      return event.resourceId().equals(conversationId);
    }
    if (event.category().equals("pullMode")) {
      return pullMode(event).get("id").asText().equals(conversationId);
    }
    return false;
  }

  private static JsonNode pullMode(Event event) {
    return json(json(event.payload()).get("pullModeEvent").asText());
  }

  private static String entityId(Event event) {
    return json(event.payload()).at("/payload/entityId").asText();
  }

  private static int entityType(Event event) {
    return json(event.payload()).at("/payload/entityType").asInt();
  }

  private static JsonNode json(String text) {
    try {
      return ApiClient.JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String createAgent(String username) {
    return created(
        http.post(
            "/api/v1/users",
            org.adminToken(),
            Map.of(
                "username", username, "password", password(username), "roles", List.of("agent"))));
  }

  private static String password(String username) {
    return "secret-" + username;
  }

  private static String created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json().get("id").asText();
  }
}
