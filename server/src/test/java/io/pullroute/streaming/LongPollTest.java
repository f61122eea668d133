package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.eventId;
import static io.pullroute.streaming.StreamingFixture.ids;
import static io.pullroute.streaming.StreamingFixture.list;
import static io.pullroute.streaming.StreamingFixture.payload;
import static io.pullroute.streaming.StreamingFixture.pullModeEvent;
import static io.pullroute.streaming.StreamingFixture.scope;
import static io.pullroute.streaming.StreamingFixture.type;
import static io.pullroute.streaming.StreamingFixture.types;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Long polls of spec 003: maxEvents, waiting, waking up, superseding, event shapes, order under
 * concurrent producers, who hears what, and the poll rate limit.
 *
 * <p>Most tests use a server whose polls wait 300 ms. Two tests must tell "answered by an event or
 * by a newer poll" from "answered because the wait ran out": they use a second server whose polls
 * wait 30 s and never wait for a response longer than 10 s, so a response can only come from the
 * event or the newer poll.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class LongPollTest {
  private static final AtomicInteger ORGS = new AtomicInteger();
  private static final long ANSWER_SECONDS = 10;

  @Parameter StoreKind store;
  static TestServer server;
  static TestServer patient;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store, config -> config.withPollWait(Duration.ofMillis(300)));
    patient = TestServer.start(store, config -> config.withPollWait(Duration.ofSeconds(30)));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
    patient.close();
  }

  private static StreamingFixture fixture(String... users) {
    return new StreamingFixture(server, "polls-" + ORGS.incrementAndGet(), users);
  }

  private static StreamingFixture patientFixture(String... users) {
    return new StreamingFixture(patient, "patient-" + ORGS.incrementAndGet(), users);
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** An admin-client session that hears every outreach event. */
  private static String outreachSession(StreamingFixture org, int version) {
    String session = org.session(org.admin, version);
    org.subscribed(
        org.admin,
        version,
        session,
        StreamingFixture.criteria("outreach", List.of("all"), "*", List.of()));
    return session;
  }

  // ---- maxEvents

  @Test
  void max_events_outside_1_to_200_or_not_a_number_is_a_400_naming_it() {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 3);
    for (String value : List.of("0", "201", "x", "-1")) {
      Response response = org.poll(org.admin, 3, session, value);
      assertThat(response.status()).as(value + ": " + response).isEqualTo(400);
      assertThat(scope(response)).as(value).isEqualTo("maxEvents");
    }
    assertThat(org.poll(org.admin, 3, session, 200).status()).isEqualTo(200);
  }

  @Test
  void without_max_events_a_poll_returns_one_event() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, 3);
    String first = org.publishOutreach(1);
    String second = org.publishOutreach(2);
    org.settle();

    Response one = org.poll(org.admin, 3, session, null);
    assertThat(one.status()).as(one.toString()).isEqualTo(200);
    assertThat(one.json().get("totalItems").asInt()).isEqualTo(1);
    assertThat(ids(list(one.json().get("events")))).containsExactly(first);
    assertThat(ids(org.events(org.admin, 3, session, 10))).containsExactly(second);
  }

  @Test
  void max_events_n_returns_at_most_n_and_the_rest_on_the_next_poll() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, 2);
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      published.add(org.publishOutreach(i));
    }
    org.settle();

    List<JsonNode> firstPoll = org.events(org.admin, 2, session, 3);
    List<JsonNode> secondPoll = org.events(org.admin, 2, session, 3);

    assertThat(ids(firstPoll)).containsExactlyElementsOf(published.subList(0, 3));
    assertThat(ids(secondPoll)).containsExactlyElementsOf(published.subList(3, 5));
    assertThat(org.events(org.admin, 2, session, 3)).isEmpty();
  }

  // ---- waiting

  @Test
  void with_nothing_waiting_a_poll_returns_an_empty_collection_after_the_poll_wait() {
    StreamingFixture org = fixture();
    for (int version : List.of(2, 3)) {
      String session = org.session(org.admin, version);
      Response response = org.poll(org.admin, version, session, 10);
      assertThat(response.status()).as(response.toString()).isEqualTo(200);
      JsonNode body = response.json();
      assertThat(fields(body)).containsExactly("kind", "totalItems", "events");
      assertThat(body.get("kind").asText()).isEqualTo("via#streamingEventCollection");
      assertThat(body.get("totalItems").asInt()).isZero();
      assertThat(body.get("events").isArray()).isTrue();
      assertThat(body.get("events")).isEmpty();
    }
  }

  @Test
  void a_parked_poll_returns_as_soon_as_an_event_for_its_audience_arrives() throws Exception {
    StreamingFixture org = patientFixture("a1");
    org.subscribeToList("a1", org.openList);
    String session = org.session(org.token("a1"), 3);
    int waitingBefore = patient.server().hub().waiting();

    CompletableFuture<Response> parked = org.pollAsync(org.token("a1"), 3, session, 10);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> patient.server().hub().waiting() > waitingBefore);
    assertThat(parked).isNotDone();

    String conversation = org.intake(org.openChannel, "hello");

    // The poll waits 30 s: an answer within 10 s can only come from the event.
    Response answer = parked.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    List<JsonNode> events = list(answer.json().get("events"));
    assertThat(types(events)).containsExactly("pullMode.ListRequestReceived");
    assertThat(pullModeEvent(events.getFirst()).get("id").asText()).isEqualTo(conversation);
  }

  @Test
  void a_new_poll_on_the_same_session_ends_the_parked_one_with_no_events() throws Exception {
    StreamingFixture org = patientFixture();
    String session = outreachSession(org, 3);
    int waitingBefore = patient.server().hub().waiting();

    CompletableFuture<Response> first = org.pollAsync(org.admin, 3, session, 10);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> patient.server().hub().waiting() > waitingBefore);
    CompletableFuture<Response> second = org.pollAsync(org.admin, 3, session, 10);

    // The polls wait 30 s: the first can end within 10 s only because the second superseded it.
    Response ended = first.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(ended.status()).as(ended.toString()).isEqualTo(200);
    assertThat(ended.json().get("totalItems").asInt()).isZero();
    assertThat(second).as("the newer poll is still parked").isNotDone();

    // The newer poll is the one that gets the next event.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> patient.server().hub().waiting() > waitingBefore);
    String published = org.publishOutreach(7);
    Response answer = second.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(ids(list(answer.json().get("events")))).containsExactly(published);
  }

  @Test
  void an_agent_whose_poll_is_parked_while_it_joins_still_hears_the_joins_entity_added()
      throws Exception {
    StreamingFixture org = patientFixture("a3");
    org.subscribeToList("a3", org.openList);
    String a3 = org.token("a3");
    String session = org.session(a3, 3);
    // The parked poll listens with what a3 heard before the join; the join's events race the
    // change of audience. A few rounds.
    for (int round = 1; round <= 8; round++) {
      String conversation = org.intake(org.openChannel, "round " + round);
      org.settle();
      org.pollUntil(a3, 3, session, seen -> types(seen).contains("pullMode.ListRequestReceived"));
      int waitingBefore = patient.server().hub().waiting();
      CompletableFuture<Response> parked = org.pollAsync(a3, 3, session, 200);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> patient.server().hub().waiting() > waitingBefore);

      org.join("a3", conversation);
      Response answer = parked.get(ANSWER_SECONDS, TimeUnit.SECONDS);
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      List<JsonNode> heard = new ArrayList<>(list(answer.json().get("events")));
      String marker = "marker " + round;
      org.customerText(conversation, marker);
      heard.addAll(
          org.pollUntil(
              a3,
              3,
              session,
              seen ->
                  seen.stream()
                      .anyMatch(e -> payload(e).at("/payload/text").asText().equals(marker))));

      assertThat(types(heard))
          .as(
              "round %d: what a3 heard of its join (the parked poll answered %s)",
              round, types(list(answer.json().get("events"))))
          .containsExactly(
              "pullMode.ListRequestUpdated",
              "messaging.EntityAdded",
              "messaging.EntityList",
              "messaging.EntityList",
              "engagementCenter.Active",
              "messaging.EntitySendText");
    }
  }

  // ---- shapes

  @Test
  void v2_events_carry_id_and_type_and_v3_events_event_id_correlation_id_and_event_type() {
    StreamingFixture org = fixture("a1");
    String v2 = org.session(org.token("a1"), 2);
    String v3 = org.session(org.token("a1"), 3);
    org.subscribeToList("a1", org.openList);
    String conversation = org.intake(org.openChannel, "hello");
    String correlationId = "def61349-6f49-4019-918f-2cd2fbfd4e42";
    Response ready =
        org.http()
            .send(
                org.http()
                    .request("/api/v1/me/state")
                    .header("Authorization", "Bearer " + org.token("a1"))
                    .header("Content-Type", "application/json")
                    .header("X-Correlation-Id", correlationId)
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"state\":\"READY\"}")));
    assertThat(ready.status()).as(ready.toString()).isBetween(200, 204);

    List<JsonNode> v2Events =
        org.pollUntil(
            org.token("a1"), 2, v2, seen -> types(seen).contains("engagementCenter.Idle"));
    List<JsonNode> v3Events =
        org.pollUntil(
            org.token("a1"), 3, v3, seen -> types(seen).contains("engagementCenter.Idle"));

    assertThat(types(v2Events))
        .containsExactly("pullMode.ListRequestReceived", "engagementCenter.Idle");
    assertThat(types(v3Events))
        .containsExactly("pullMode.ListRequestReceived", "engagementCenter.Idle");
    for (JsonNode event : v2Events) {
      assertThat(fields(event))
          .containsExactly("kind", "id", "type", "publishedTime", "schemaVersion", "payload");
    }
    for (JsonNode event : v3Events) {
      assertThat(fields(event))
          .containsExactly(
              "kind",
              "eventId",
              "correlationId",
              "eventType",
              "publishedTime",
              "schemaVersion",
              "payload");
    }
    assertThat(ids(v2Events)).isEqualTo(ids(v3Events));
    for (List<JsonNode> events : List.of(v2Events, v3Events)) {
      JsonNode received = events.get(0);
      JsonNode idle = events.get(1);
      assertThat(received.get("kind").asText()).isEqualTo("via#pullModeEvent");
      assertThat(idle.get("kind").asText()).isEqualTo("via#engagementCenterEvent");
      for (JsonNode event : events) {
        assertThat(eventId(event)).matches("\\d{13}-\\d+");
        assertThat(event.get("publishedTime").asText()).matches(StreamingFixture.TIME);
        assertThat(event.get("schemaVersion").asText()).isEqualTo("1");
        assertThat(event.get("payload").isTextual()).as("payload is a JSON string").isTrue();
      }
      JsonNode receivedPayload = payload(received);
      assertThat(receivedPayload.get("type").asText()).isEqualTo("PULL_MODE_LIST_REQUEST_RECEIVED");
      assertThat(receivedPayload.get("conversationId").asText()).isEqualTo(org.openList);
      assertThat(receivedPayload.get("pullModeEvent").isTextual()).isTrue();
      assertThat(pullModeEvent(received).get("id").asText()).isEqualTo(conversation);
      assertThat(payload(idle).get("userId").asText()).isEqualTo(org.id("a1"));
      assertThat(payload(idle).at("/payload/interactionId").asLong()).isZero();
    }
    assertThat(v3Events.get(1).get("correlationId").asText()).isEqualTo(correlationId);
    assertThat(v3Events.get(0).get("correlationId").asText()).isNotBlank();
  }

  // ---- order

  @Test
  void events_of_concurrent_producers_arrive_once_each_in_increasing_id_order() throws Exception {
    StreamingFixture org = fixture("a1");
    org.subscribeToList("a1", org.openList);
    String session = org.session(org.token("a1"), 3);
    int producers = 4;
    int perProducer = 10;
    int total = producers * perProducer;

    List<String> created;
    List<JsonNode> seen;
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    try {
      List<Future<List<String>>> work = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int producer = p;
        work.add(
            pool.submit(
                () -> {
                  List<String> ids = new ArrayList<>();
                  for (int i = 0; i < perProducer; i++) {
                    ids.add(org.intake(org.openChannel, "producer " + producer + " #" + i));
                  }
                  return ids;
                }));
      }
      // Polls while the producers are still at work.
      seen = org.pollUntil(org.token("a1"), 3, session, events -> events.size() >= total);
      created = new ArrayList<>();
      for (Future<List<String>> future : work) {
        created.addAll(future.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    // Nothing more comes: every event was delivered once.
    org.settle();
    seen.addAll(org.events(org.token("a1"), 3, session, 200));

    assertThat(seen).hasSize(total);
    assertThat(types(seen)).containsOnly("pullMode.ListRequestReceived");
    assertThat(ids(seen)).doesNotHaveDuplicates();
    Set<String> conversations = new HashSet<>();
    seen.forEach(event -> conversations.add(pullModeEvent(event).get("id").asText()));
    assertThat(conversations).containsExactlyInAnyOrderElementsOf(created);
    for (int i = 1; i < seen.size(); i++) {
      long[] before = idParts(eventId(seen.get(i - 1)));
      long[] after = idParts(eventId(seen.get(i)));
      assertThat(after[0] > before[0] || (after[0] == before[0] && after[1] > before[1]))
          .as("%s follows %s", eventId(seen.get(i)), eventId(seen.get(i - 1)))
          .isTrue();
    }
  }

  private static long[] idParts(String id) {
    String[] parts = id.split("-");
    return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
  }

  // ---- audience

  /**
   * An agent added to an agent group hears the group's workbin (a list it owns) from the next poll:
   * the administrator's change tells the sessions of the organization. Before, a node kept what an
   * agent heard for up to 5 seconds, and the workbin's events of those seconds were lost to it.
   */
  @Test
  void an_agent_added_to_an_agent_group_hears_its_workbin_from_the_next_poll() {
    StreamingFixture org = fixture("a1", "a3");
    String agent = org.token("a3");
    String session = org.session(agent, 3);
    assertThat(org.events(agent, 3, session, 5)).as("before it is in the group").isEmpty();

    JsonNode team = list(org.http().get("/api/v1/agent-groups", org.admin).json()).getFirst();
    List<String> members = new ArrayList<>();
    team.get("members").forEach(member -> members.add(member.asText()));
    members.add(org.id("a3"));
    Response added =
        org.http()
            .patch(
                "/api/v1/agent-groups/" + team.get("id").asText(),
                org.admin,
                Map.of("members", members));
    assertThat(added.status()).as(added.toString()).isEqualTo(200);
    String owned = org.intake(org.webChannel, "for the team");
    org.settle();

    assertThat(
            org.events(agent, 3, session, 200).stream()
                .filter(event -> type(event).equals("pullMode.ListRequestReceived"))
                .map(event -> pullModeEvent(event).get("id").asText()))
        .containsExactly(owned);
  }

  /**
   * An agent subscribed to a list and then removed from the agent group that owns it no longer
   * hears the list, nor lists it among its subscriptions: losing the right to work on a list ends
   * its subscription. Before, the subscription stayed, and the agent went on hearing every new
   * request of a list it was no longer allowed on.
   */
  @Test
  void an_agent_removed_from_the_group_that_owns_a_list_no_longer_hears_the_list() {
    StreamingFixture org = fixture("a1", "a2");
    String agent = org.token("a1");
    org.subscribeToList("a1", org.ownedList);
    String session = org.session(agent, 3);

    assertThat(pollsAfterLeavingTeam(org, agent, session)).containsExactly("engagementCenter.Idle");
    assertThat(org.http().get("/api/v1/me/subscriptions", agent).json()).isEmpty();
  }

  /**
   * As above, with the session's own subscription to the list (the streaming API's filter
   * criteria), allowed when it was made: once the agent may no longer work on the list, it no
   * longer brings the list's requests. Before, it went on bringing every new request of the list.
   */
  @Test
  void
      an_agent_removed_from_the_group_that_owns_a_list_no_longer_hears_it_by_a_session_subscription() {
    StreamingFixture org = fixture("a1", "a2");
    String agent = org.token("a1");
    String session = org.session(agent, 3);
    org.subscribed(
        agent,
        3,
        session,
        StreamingFixture.criteria("pullMode", List.of("all"), "lists", List.of(org.ownedList)));

    assertThat(pollsAfterLeavingTeam(org, agent, session)).containsExactly("engagementCenter.Idle");
  }

  /**
   * Takes a1 out of Team (a2 stays), makes a request on Team's list Owned and then an event of a1's
   * own (its state): the types of what a1's {@code session} polls up to that event.
   */
  private static List<String> pollsAfterLeavingTeam(
      StreamingFixture org, String agent, String session) {
    JsonNode team = list(org.http().get("/api/v1/agent-groups", org.admin).json()).getFirst();
    Response removed =
        org.http()
            .patch(
                "/api/v1/agent-groups/" + team.get("id").asText(),
                org.admin,
                Map.of("members", List.of(org.id("a2"))));
    assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
    org.intake(org.webChannel, "for the team only");
    org.state("a1", "READY");
    return types(
        org.pollUntil(
            agent, 3, session, events -> types(events).contains("engagementCenter.Idle")));
  }

  /**
   * Renaming a list changes no one's workbins: it does not end the agents' waiting polls (each such
   * change makes every session of the organization read what it hears again).
   */
  @Test
  void renaming_a_list_leaves_the_agents_polls_waiting() throws Exception {
    StreamingFixture org = patientFixture("a1", "a3");
    String agent = org.token("a3");
    String session = org.session(agent, 3);
    int waitingBefore = patient.server().hub().waiting();
    CompletableFuture<Response> parked = org.pollAsync(agent, 3, session, 200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> patient.server().hub().waiting() > waitingBefore);

    Response renamed =
        org.http()
            .patch("/api/v1/lists/" + org.openList, org.admin, Map.of("name", "Renamed open"));
    assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
    org.state("a3", "READY");

    Response answer = parked.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(types(list(answer.json().get("events"))))
        .as("the poll that waited through the rename")
        .contains("engagementCenter.Idle");
  }

  @Test
  void an_agent_hears_itself_its_lists_and_its_conversations_but_not_other_lists_or_agents() {
    StreamingFixture org = fixture("a1", "a3");
    String session = org.session(org.token("a3"), 3);
    org.subscribeToList("a3", org.openList);

    // Phase 1: a3 is on list Open and in no conversation.
    org.state("a3", "READY");
    org.state("a1", "READY");
    String owned = org.intake(org.webChannel, "for the team");
    String open = org.intake(org.openChannel, "before the join");
    org.settle();
    List<JsonNode> phase1 =
        org.pollUntil(
            org.token("a3"),
            3,
            session,
            seen -> types(seen).contains("pullMode.ListRequestReceived"));

    assertThat(types(phase1))
        .containsExactly("engagementCenter.Idle", "pullMode.ListRequestReceived");
    assertThat(payload(phase1.get(0)).get("userId").asText()).isEqualTo(org.id("a3"));
    assertThat(pullModeEvent(phase1.get(1)).get("id").asText()).isEqualTo(open);
    assertThat(pullModeEvent(phase1.get(1)).get("listId").asText()).isEqualTo(org.openList);

    // Phase 2: a3 joins the request on Open; then its customer writes.
    org.join("a3", open);
    org.state("a1", "NOT_READY");
    org.intake(org.webChannel, "for the team again");
    org.customerText(open, "after the join");
    List<JsonNode> phase2 =
        org.pollUntil(
            org.token("a3"), 3, session, seen -> types(seen).contains("messaging.EntitySendText"));

    assertThat(types(phase2))
        .containsExactly(
            "pullMode.ListRequestUpdated",
            "messaging.EntityAdded",
            "messaging.EntityList",
            "messaging.EntityList",
            "engagementCenter.Active",
            "messaging.EntitySendText");
    assertThat(payload(phase2.get(4)).get("userId").asText()).isEqualTo(org.id("a3"));
    assertThat(payload(phase2.get(5)).at("/payload/text").asText()).isEqualTo("after the join");

    List<JsonNode> all = new ArrayList<>(phase1);
    all.addAll(phase2);
    for (JsonNode event : all) {
      JsonNode payload = payload(event);
      if (type(event).startsWith("engagementCenter.")) {
        assertThat(payload.get("userId").asText())
            .as("no engagementCenter event of another agent")
            .isEqualTo(org.id("a3"));
      }
      if (type(event).startsWith("pullMode.")) {
        assertThat(pullModeEvent(event).get("listId").asText())
            .as("no event of a list a3 is not subscribed to (%s)", owned)
            .isEqualTo(org.openList);
      }
    }
  }

  /**
   * What is said in a conversation while an agent is in it reaches the agent, even when it leaves
   * before its next poll. Before, a text's audience was the conversation alone, matched at the poll
   * against what the agent hears then: after leaving, the text was passed over (lost, even with
   * acknowledgement). Its participants at the commit now hear it too.
   */
  @Test
  void a_text_said_while_an_agent_was_in_the_conversation_reaches_it_after_it_left() {
    StreamingFixture org = fixture("a3");
    String agent = org.token("a3");
    String session = org.session(agent, 3);
    org.state("a3", "READY");
    String open = org.intake(org.openChannel, "hello");
    org.join("a3", open);
    org.customerText(open, "my order is late");
    org.leave("a3", open);
    org.settle();

    List<JsonNode> heard =
        org.pollUntil(agent, 3, session, seen -> types(seen).contains("messaging.EntityRemoved"));
    assertThat(heard)
        .filteredOn(event -> type(event).equals("messaging.EntitySendText"))
        .extracting(event -> payload(event).at("/payload/text").asText())
        .contains("my order is late");
  }

  /**
   * A supervisor's subscription to all lists, kept by its session when its user is made an agent,
   * brings no more of the lists the agent may not work on. Before, it went on bringing every list's
   * requests to the agent.
   */
  @Test
  void a_subscription_to_every_list_ends_when_its_supervisor_becomes_an_agent() {
    StreamingFixture org = fixture("s1");
    String session = org.session(org.token("s1"), 3);
    org.subscribed(
        org.token("s1"),
        3,
        session,
        StreamingFixture.criteria("pullMode", List.of("all"), "lists", List.of("*")));
    Response demoted =
        org.http()
            .patch("/api/v1/users/" + org.id("s1"), org.admin, Map.of("roles", List.of("agent")));
    assertThat(demoted.status()).as(demoted.toString()).isEqualTo(200);
    String agent = org.http().userToken(org.orgId, "s1", "pw-s1");
    String owned = org.intake(org.webChannel, "for the team only");
    Response ready = org.http().put("/api/v1/me/state", agent, Map.of("state", "READY"));
    assertThat(ready.status()).as(ready.toString()).isBetween(200, 204);

    List<JsonNode> seen =
        org.pollUntil(agent, 3, session, events -> types(events).contains("engagementCenter.Idle"));
    // Its own: the change of its roles, and its state.
    assertThat(types(seen))
        .as("the request %s of a list it may not work on", owned)
        .containsExactly("changeNotification.user", "engagementCenter.Idle");
  }

  /**
   * A change of one user's roles ends that user's parked polls (what it hears is read again), and
   * no other user's. Before, it ended every poll of the organization on this node, each of which
   * then read what its user hears again.
   */
  @Test
  void a_change_of_one_users_roles_ends_only_that_users_parked_polls() throws Exception {
    StreamingFixture org = patientFixture("a1", "a2");
    String changed = org.session(org.token("a1"), 3);
    String other = org.session(org.token("a2"), 3);
    int waitingBefore = patient.server().hub().waiting();
    CompletableFuture<Response> changedPoll = org.pollAsync(org.token("a1"), 3, changed, 10);
    CompletableFuture<Response> otherPoll = org.pollAsync(org.token("a2"), 3, other, 10);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> patient.server().hub().waiting() == waitingBefore + 2);

    Response promoted =
        org.http()
            .patch(
                "/api/v1/users/" + org.id("a1"),
                org.admin,
                Map.of("roles", List.of("agent", "supervisor")));
    assertThat(promoted.status()).as(promoted.toString()).isEqualTo(200);

    // The polls wait 30 s: a1's ends within 10 s because of the change. Polls end before the
    // change is answered, so a2's would have ended by now too.
    Response ended = changedPoll.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(ended.status()).as(ended.toString()).isEqualTo(200);
    assertThat(patient.server().hub().waiting()).isEqualTo(waitingBefore + 1);
    assertThat(otherPoll).as("a2's poll is still parked").isNotDone();

    // a2's poll still gets what it hears.
    org.state("a2", "READY");
    Response answer = otherPoll.get(ANSWER_SECONDS, TimeUnit.SECONDS);
    assertThat(types(list(answer.json().get("events")))).contains("engagementCenter.Idle");
  }

  /**
   * A session's own subscription to a conversation its agent was in brings no more of it once the
   * agent has left (what was said before still comes, as above). Before, the subscription, allowed
   * when made, went on bringing the conversation's texts.
   */
  @Test
  void a_session_subscription_to_a_conversation_brings_nothing_said_after_its_agent_left() {
    StreamingFixture org = fixture("a3");
    String agent = org.token("a3");
    String session = org.session(agent, 3);
    org.state("a3", "READY");
    String open = org.intake(org.openChannel, "hello");
    org.join("a3", open);
    org.subscribed(
        agent,
        3,
        session,
        StreamingFixture.criteria("messaging", List.of("all"), "conversations", List.of(open)));
    org.leave("a3", open);
    org.customerText(open, "said after the agent left");
    org.state("a3", "NOT_READY"); // a3's own event, after the text

    List<JsonNode> heard =
        org.pollUntil(agent, 3, session, seen -> types(seen).contains("engagementCenter.NotReady"));
    assertThat(heard)
        .filteredOn(event -> type(event).equals("messaging.EntitySendText"))
        .extracting(event -> payload(event).at("/payload/text").asText())
        .doesNotContain("said after the agent left");
  }

  // ---- rate limit

  @Test
  void more_than_20_polls_of_a_session_in_the_same_instant_are_a_429_with_retry_after()
      throws Exception {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 3);
    // The clock does not move: the session's 20 polls a second are all there is.
    List<CompletableFuture<Response>> polls = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      polls.add(org.pollAsync(org.admin, 3, session, 1));
    }
    List<Response> answers = new ArrayList<>();
    for (CompletableFuture<Response> poll : polls) {
      answers.add(poll.get(30, TimeUnit.SECONDS));
    }

    List<Response> refused = answers.stream().filter(r -> r.status() == 429).toList();
    assertThat(answers.stream().filter(r -> r.status() == 200)).hasSize(20);
    assertThat(refused).hasSize(5);
    for (Response response : refused) {
      assertThat(response.json().get("code").asInt()).isEqualTo(429);
      assertThat(response.header("Retry-After")).isNotNull();
      assertThat(Long.parseLong(response.header("Retry-After"))).isPositive();
    }

    server.clock().advance(Duration.ofSeconds(1));
    assertThat(org.poll(org.admin, 3, session, 1).status())
        .as("a second later the session may poll again")
        .isEqualTo(200);
  }
}
