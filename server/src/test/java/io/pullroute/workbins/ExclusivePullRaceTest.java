package io.pullroute.workbins;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fifty agents of one group pulling the same request from their group's workbin at once, a hundred
 * times (DESIGN.md §4.5, §5.1): exactly one wins with {@code {"statusCode":0,"referenceId":N}}, the
 * other 49 get 409 with statusCode 2, never a 5xx; the winner is the request's only participant;
 * the log holds exactly one {@code pullMode.ListRequestRemoved} and one {@code workbin.ItemRemoved}
 * per request, and each of two list subscribers' streaming sessions receives exactly one {@code
 * workbin.ItemRemoved} per request.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class ExclusivePullRaceTest {
  private static final int AGENTS = 50;
  private static final int SUBSCRIBERS = 2;
  private static final int ROUNDS = 100;
  private static final String GROUP = "Racers";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Parameter StoreKind store;

  static TestServer server;
  static ApiClient http;
  static Org org;
  static String listId;
  static String channelId;
  static final List<String> agentIds = new ArrayList<>();
  static final List<String> agentTokens = new ArrayList<>();
  static final List<String> subscriberTokens = new ArrayList<>();
  static final List<String> sessions = new ArrayList<>();

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store, config -> config.withPollWait(Duration.ofMillis(200)));
    http = server.http();
    org = http.createOrganization("pull-race");
    List<String> usernames = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      usernames.add("agent-" + i);
    }
    for (int i = 0; i < SUBSCRIBERS; i++) {
      usernames.add("subscriber-" + i);
    }
    // Password hashing dominates the set-up: a few at a time on the two cores.
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
    subscriberTokens.clear();
    sessions.clear();
    List<String> members = new ArrayList<>();
    for (int i = 0; i < users.size(); i++) {
      members.add(users.get(i)[0]);
      if (i < AGENTS) {
        agentIds.add(users.get(i)[0]);
        agentTokens.add(users.get(i)[1]);
      } else {
        subscriberTokens.add(users.get(i)[1]);
      }
    }
    created(
        http.post(
            "/api/v1/agent-groups", org.adminToken(), Map.of("name", GROUP, "members", members)));
    listId =
        created(
            http.post(
                "/api/v1/lists", org.adminToken(), Map.of("name", "Race", "agentGroup", GROUP)));
    channelId =
        created(
            http.post(
                "/api/v1/channels",
                org.adminToken(),
                Map.of(
                    "name", "web", "channelType", "WEB", "routingMode", "PULL", "listId", listId)));
    // The subscribers subscribe through the workbin API, then open their streaming sessions.
    for (String token : subscriberTokens) {
      Response subscribed =
          http.post(
              "/api/v2/me/workbins/" + listId + "?agentGroup=" + GROUP,
              token,
              Map.of("operationName", "Subscribe"));
      WorkbinFixture.succeeded(subscribed);
      Response session = via("POST", "/session", token, null, "{}");
      assertThat(session.status()).as(session.toString()).isEqualTo(200);
      sessions.add(session.json().get("sessionId").asText());
    }
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (server != null) {
      server.close();
    }
    server = null;
    http = null;
  }

  /** One agent's answer to its PullInteraction. */
  private record Pull(int agent, String correlationId, Response response) {
    @Override
    public String toString() {
      return "agent-" + agent + " [" + correlationId + "] → " + response;
    }
  }

  @Test
  void fifty_agents_pulling_the_same_request_at_once_leave_exactly_one_winner_every_time()
      throws Exception {
    long cursor = EventsSeen.mark(server.server());
    Map<String, String> winnerOf = new LinkedHashMap<>();
    Map<String, Long> referenceOf = new HashMap<>();
    Map<String, String> correlationOf = new HashMap<>();
    long lastReference = -1;
    long started = System.nanoTime();

    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int round = 0; round < ROUNDS; round++) {
        String label = "round " + round;
        String conversationId = intake();
        List<Pull> pulls = race(pool, round, conversationId);

        List<Pull> won = new ArrayList<>();
        List<Pull> unexpected = new ArrayList<>();
        for (Pull pull : pulls) {
          int status = pull.response().status();
          if (status == 200) {
            won.add(pull);
          } else if (status != 409 || pull.response().json().path("statusCode").asInt() != 2) {
            unexpected.add(pull);
          }
        }
        assertThat(unexpected)
            .as("%s: answers other than 200 and 409/statusCode 2", label)
            .isEmpty();
        assertThat(won).as("%s: winners", label).hasSize(1);
        for (Pull pull : pulls) {
          if (pull.response().status() == 409) {
            JsonNode body = pull.response().json();
            assertThat(WorkbinFixture.fieldNames(body))
                .as("%s: %s", label, pull)
                .containsExactlyInAnyOrder("statusCode", "statusMessage");
          }
        }
        Pull winner = won.getFirst();
        long referenceId = WorkbinFixture.succeeded(winner.response());
        assertThat(referenceId).as("%s: referenceId", label).isGreaterThan(lastReference);
        lastReference = referenceId;
        winnerOf.put(conversationId, agentIds.get(winner.agent()));
        referenceOf.put(conversationId, referenceId);
        correlationOf.put(conversationId, winner.correlationId());

        JsonNode conversation = conversation(conversationId);
        assertThat(conversation.get("state").asText()).as(label).isEqualTo("ACTIVE");
        List<String> participants = new ArrayList<>();
        conversation.get("participants").forEach(p -> participants.add(p.get("userId").asText()));
        assertThat(participants)
            .as("%s: participants", label)
            .containsExactly(agentIds.get(winner.agent()));
      }
    }
    long raced = System.nanoTime() - started;

    // ---- the event log
    List<Event> events = EventsSeen.after(server.server(), org.orgId(), cursor);
    Map<String, Integer> listRemoved = new HashMap<>();
    Map<String, Integer> itemRemoved = new HashMap<>();
    Map<String, Integer> itemAdded = new HashMap<>();
    Map<String, Integer> parked = new HashMap<>();
    for (Event event : events) {
      switch (event.type()) {
        case "pullMode.ListRequestRemoved" -> {
          String id = EventsSeen.pullModeEvent(event).get("id").asText();
          listRemoved.merge(id, 1, Integer::sum);
          assertThat(event.correlationId()).as("%s", event).isEqualTo(correlationOf.get(id));
        }
        case "workbin.ItemRemoved" -> {
          JsonNode payload = EventsSeen.payload(event);
          String id = payload.at("/chatStateResourceV2/id").asText();
          itemRemoved.merge(id, 1, Integer::sum);
          assertThat(payload.get("id").asText()).as("%s", event).isEqualTo(listId);
          assertThat(payload.get("agentGroup").asText()).as("%s", event).isEqualTo(GROUP);
          assertThat(payload.get("referenceId").asLong())
              .as("%s", event)
              .isEqualTo(referenceOf.get(id));
          assertThat(event.correlationId()).as("%s", event).isEqualTo(correlationOf.get(id));
        }
        case "workbin.ItemAdded" -> {
          JsonNode payload = EventsSeen.payload(event);
          String id = payload.at("/chatStateResourceV2/id").asText();
          if (payload.get("id").asText().equals(listId)) {
            parked.merge(id, 1, Integer::sum); // the intake's, to the group's workbin
            continue;
          }
          itemAdded.merge(id, 1, Integer::sum);
          assertThat(payload.get("id").asText())
              .as("%s: the winner's own workbin", event)
              .isEqualTo(winnerOf.get(id));
          assertThat(payload.get("referenceId").asLong())
              .as("%s", event)
              .isEqualTo(referenceOf.get(id));
        }
        default -> {
          // intake, joins of the winners, agent states
        }
      }
    }
    Map<String, Integer> once = new HashMap<>();
    winnerOf.keySet().forEach(id -> once.put(id, 1));
    assertThat(listRemoved).as("pullMode.ListRequestRemoved per request").isEqualTo(once);
    assertThat(itemRemoved).as("workbin.ItemRemoved per request").isEqualTo(once);
    assertThat(itemAdded).as("workbin.ItemAdded per request").isEqualTo(once);
    assertThat(parked).as("workbin.ItemAdded to the group's workbin at intake").isEqualTo(once);

    // ---- the subscribers' sessions, once the hub has every event of the rounds (the log check
    // above waited for it): a poll of up to 200 events until one comes back empty. The sessions
    // are polled only now: the server's test clock stands still, so a session's poll budget (20
    // a second) would not refill between rounds, and it cannot expire meanwhile either.
    for (int i = 0; i < SUBSCRIBERS; i++) {
      Map<String, Integer> counts = new HashMap<>();
      int polls = 0;
      while (poll(sessions.get(i), subscriberTokens.get(i), counts) > 0) {
        polls++;
        assertThat(polls).as("polls of subscriber-%d's session", i).isLessThan(15);
      }
      assertThat(counts)
          .as("workbin.ItemRemoved per request in subscriber-%d's session", i)
          .isEqualTo(once);
    }

    System.out.printf(
        "ExclusivePullRaceTest[%s]: %d rounds of %d pulls in %d ms%n",
        store, ROUNDS, AGENTS, TimeUnit.NANOSECONDS.toMillis(raced));
  }

  /** All agents pull {@code conversationId} together; returns their answers. */
  private static List<Pull> race(ExecutorService pool, int round, String conversationId)
      throws Exception {
    CountDownLatch ready = new CountDownLatch(AGENTS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Pull>> futures = new ArrayList<>();
    String body = "{\"operationName\":\"PullInteraction\",\"id\":\"" + conversationId + "\"}";
    for (int agent = 0; agent < AGENTS; agent++) {
      int me = agent;
      futures.add(
          pool.submit(
              () -> {
                String correlationId = "pull-r" + round + "-a" + me;
                HttpRequest.Builder request =
                    http.request("/api/v2/me/workbins/" + listId + "?agentGroup=" + GROUP)
                        .header("Authorization", "Bearer " + agentTokens.get(me))
                        .header("X-Correlation-Id", correlationId)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
                ready.countDown();
                go.await();
                return new Pull(me, correlationId, http.send(request));
              }));
    }
    assertThat(ready.await(30, TimeUnit.SECONDS)).as("agents ready").isTrue();
    go.countDown();
    List<Pull> pulls = new ArrayList<>();
    for (Future<Pull> future : futures) {
      pulls.add(future.get(120, TimeUnit.SECONDS));
    }
    return pulls;
  }

  /**
   * One poll of a subscriber's session (up to 200 events); counts its {@code workbin.ItemRemoved}
   * events by the interaction inside. Returns how many events came.
   */
  private static int poll(String session, String token, Map<String, Integer> counts) {
    Response response = via("GET", "/events?maxEvents=200", token, session, null);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    JsonNode batch = response.json();
    for (JsonNode event : batch.get("events")) {
      if (event.get("eventType").asText().equals("workbin.ItemRemoved")) {
        JsonNode payload = json(event.get("payload").asText());
        counts.merge(payload.at("/chatStateResourceV2/id").asText(), 1, Integer::sum);
      }
    }
    return batch.get("totalItems").asInt();
  }

  // ---- helpers

  private static Response via(
      String method, String path, String token, String session, String body) {
    HttpRequest.Builder request =
        http.request("/via/v3/organizations/" + org.orgId() + "/streaming" + path)
            .header("Authorization", "Bearer " + token)
            .header("x-api-key", org.apiKey())
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      request.header("via-client-sessionid", session);
    }
    return http.send(request);
  }

  private static String intake() {
    Response response =
        http.post(
            "/api/v1/channels/" + channelId + "/conversations",
            org.adminToken(),
            Map.of("customer", Map.of("firstName", "C"), "text", "hi"));
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    assertThat(response.json().get("state").asText()).isEqualTo("UNREAD");
    return response.json().get("id").asText();
  }

  private static JsonNode conversation(String id) {
    Response response = http.get("/api/v1/conversations/" + id, org.adminToken());
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
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
