package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Pull-mode routing over HTTP: intake, subscriptions, the state machine and its events. */
@ParameterizedClass
@EnumSource(StoreKind.class)
class RoutingApiTest {
  private static final AtomicInteger ORGS = new AtomicInteger();

  @Parameter StoreKind store;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static RoutingFixture fixture() {
    return new RoutingFixture(server.http(), "routing-" + ORGS.incrementAndGet());
  }

  private static List<Event> eventsSince(RoutingFixture org, long mark) {
    return EventsSeen.after(server.server(), org.orgId, mark);
  }

  private static List<Event> ofType(List<Event> events, String type) {
    return events.stream().filter(event -> event.type().equals(type)).toList();
  }

  // ---- intake

  @Test
  void intake_parks_an_unread_request_and_notifies_the_list() {
    RoutingFixture org = fixture();
    long mark = EventsSeen.mark(server.server());
    String id = org.intake(org.webChannel, 0);

    JsonNode conversation = org.read(id);
    assertThat(conversation.get("state").asText()).isEqualTo("UNREAD");
    assertThat(conversation.get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(conversation.get("channelId").asText()).isEqualTo(org.webChannel);
    assertThat(conversation.get("participants")).isEmpty();
    assertThat(conversation.at("/customer/firstName").asText()).isEqualTo("Dave");

    List<Event> events = eventsSince(org, mark);
    assertThat(EventsSeen.types(events))
        .containsExactly(
            "pullMode.ListRequestReceived", "workbin.ItemAdded", "messaging.EntitySendText");
    Event received = events.getFirst();
    assertThat(received.resourceType()).isEqualTo("lists");
    assertThat(received.resourceId()).isEqualTo(org.ownedList);
    assertThat(received.audience()).contains(Audience.list(org.ownedList));
    JsonNode payload = EventsSeen.payload(received);
    assertThat(payload.get("type").asText()).isEqualTo("PULL_MODE_LIST_REQUEST_RECEIVED");
    assertThat(payload.get("conversationId").asText()).isEqualTo(org.ownedList);
    JsonNode inner = EventsSeen.pullModeEvent(received);
    assertThat(inner.get("id").asText()).isEqualTo(id);
    assertThat(inner.get("status").asText()).isEqualTo("CREATED");
    assertThat(inner.get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(inner.at("/channelSession/channelData/channelCustomerIdentifier").asText())
        .isEqualTo("0991222");
    assertThat(received.id()).matches("\\d{13}-\\d+");
  }

  @Test
  void intake_with_the_same_idempotency_key_returns_the_same_request() {
    RoutingFixture org = fixture();
    long mark = EventsSeen.mark(server.server());
    var request =
        org.http
            .request("/api/v1/channels/" + org.webChannel + "/conversations")
            .header("Authorization", "Bearer " + org.admin)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "retry-1")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"text\":\"once\"}"));
    Response first = org.http.send(request);
    Response second = org.http.send(request);
    assertThat(first.status()).isEqualTo(201);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.json().get("id").asText()).isEqualTo(first.json().get("id").asText());
    assertThat(ofType(eventsSince(org, mark), "pullMode.ListRequestReceived")).hasSize(1);
    assertThat(
            org.http
                .get(
                    "/api/v1/conversations/" + first.json().get("id").asText() + "/messages",
                    org.admin)
                .json())
        .hasSize(1);
  }

  @Test
  void intake_refuses_unknown_channels_push_channels_and_bad_fields() {
    RoutingFixture org = fixture();
    String base = "/api/v1/channels/";
    assertThat(org.http.post(base + "nope/conversations", org.admin, Map.of()).status())
        .isEqualTo(404);
    Response push = org.http.post(base + org.pushChannel + "/conversations", org.admin, Map.of());
    assertThat(push.status()).isEqualTo(409);
    assertThat(push.json().at("/errors/0/scope").asText()).isEqualTo("channelId");
    Map<String, Object> badPriority = Map.of("requestPriority", -1);
    Response priority =
        org.http.post(base + org.webChannel + "/conversations", org.admin, badPriority);
    assertThat(priority.status()).isEqualTo(400);
    assertThat(priority.json().at("/errors/0/scope").asText()).isEqualTo("requestPriority");
    Response attributes =
        org.http.post(
            base + org.webChannel + "/conversations",
            org.admin,
            Map.of("additionalAttributes", Map.of("a", 1)));
    assertThat(attributes.json().at("/errors/0/scope").asText()).isEqualTo("additionalAttributes");
    // Before, any length was taken and went into every event of the request.
    Response identifier =
        org.http.post(
            base + org.webChannel + "/conversations",
            org.admin,
            Map.of("channelCustomerIdentifier", "9".repeat(1001)));
    assertThat(identifier.status()).as(identifier.toString()).isEqualTo(400);
    assertThat(identifier.json().at("/errors/0/scope").asText())
        .isEqualTo("channelCustomerIdentifier");
    Response unknown =
        org.http.post(base + org.webChannel + "/conversations", org.admin, Map.of("colour", "red"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().at("/errors/0/scope").asText()).isEqualTo("colour");
    assertThat(
            org.http
                .post(base + org.webChannel + "/conversations", org.token("a1"), Map.of())
                .status())
        .isEqualTo(403);
  }

  // ---- subscriptions and list reads

  @Test
  void subscribing_answers_a_snapshot_of_the_open_requests_and_is_idempotent() {
    RoutingFixture org = fixture();
    String low = org.intake(org.webChannel, 0);
    String high = org.intake(org.webChannel, 5);
    String closed = org.intake(org.webChannel, 9);
    assertThat(org.close(org.admin, closed).status()).isEqualTo(200);

    Response first = org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("a1"), "");
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.json().get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(first.json().get("conversations").findValuesAsText("id")).containsExactly(high, low);
    Response again = org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("a1"), "");
    assertThat(again.status()).isEqualTo(200);

    JsonNode subscriptions = org.http.get("/api/v1/me/subscriptions", org.token("a1")).json();
    assertThat(subscriptions.findValuesAsText("listId")).containsExactly(org.ownedList);
    assertThat(
            org.http.delete("/api/v1/me/subscriptions/" + org.ownedList, org.token("a1")).status())
        .isEqualTo(204);
    assertThat(org.http.get("/api/v1/me/subscriptions", org.token("a1")).json()).isEmpty();
  }

  @Test
  void only_agents_allowed_on_a_list_may_subscribe_or_read_it() {
    RoutingFixture org = fixture();
    Response outsider =
        org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("a3"), "");
    assertThat(outsider.status()).isEqualTo(403);
    assertThat(
            org.http
                .get("/api/v1/lists/" + org.ownedList + "/conversations", org.token("a3"))
                .status())
        .isEqualTo(403);
    assertThat(
            org.http.put("/api/v1/me/subscriptions/" + org.openList, org.token("a3"), "").status())
        .isEqualTo(200);
    assertThat(
            org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.token("s1"), "").status())
        .isEqualTo(200);
    assertThat(org.http.put("/api/v1/me/subscriptions/" + org.ownedList, org.admin, "").status())
        .isEqualTo(403);
    assertThat(org.http.put("/api/v1/me/subscriptions/nope", org.token("a1"), "").status())
        .isEqualTo(404);
  }

  /**
   * Each administrator's change that takes from a user the right to work on a list ends its
   * subscription to it: a new owner of the list, new places of its place group, a new place of the
   * user, a supervisor made an agent. Getting the right back does not subscribe again. Before, the
   * subscriptions stayed, and their users went on hearing the lists.
   */
  @Test
  void losing_the_right_to_work_on_a_list_ends_the_subscription_to_it() {
    RoutingFixture org = fixture();
    assertThat(subscribe(org, org.token("a1"), org.ownedList)).isEqualTo(200);
    assertThat(subscribe(org, org.token("s1"), org.ownedList)).isEqualTo(200);
    assertThat(subscribe(org, org.token("a1"), org.openList)).isEqualTo(200);
    String other =
        org.http
            .post(
                "/api/v1/agent-groups",
                org.admin,
                Map.of("name", "Other", "members", List.of(org.id("a3"))))
            .json()
            .get("id")
            .asText();

    changed(org, "/api/v1/lists/" + org.ownedList, Map.of("agentGroup", "Other"));
    assertThat(subscribedLists(org, org.token("a1")))
        .as("a1 after its list changed owner")
        .containsExactly(org.openList);
    assertThat(subscribedLists(org, org.token("s1")))
        .as("a supervisor may work on every list")
        .containsExactly(org.ownedList);

    changed(org, "/api/v1/users/" + org.id("s1"), Map.of("roles", List.of("agent")));
    String s1 = org.http.userToken(org.orgId, "s1", "pw-s1");
    assertThat(subscribedLists(org, s1)).as("s1 made an agent").isEmpty();

    String desks =
        org.http
            .post(
                "/api/v1/place-groups", org.admin, Map.of("name", "Desks", "places", List.of("p1")))
            .json()
            .get("id")
            .asText();
    String desk =
        org.http
            .post("/api/v1/lists", org.admin, Map.of("name", "Desk", "placeGroup", "Desks"))
            .json()
            .get("id")
            .asText();
    changed(org, "/api/v1/users/" + org.id("a2"), Map.of("place", "p1"));
    changed(org, "/api/v1/users/" + org.id("a3"), Map.of("place", "p1"));
    assertThat(subscribe(org, org.token("a2"), desk)).isEqualTo(200);
    assertThat(subscribe(org, org.token("a3"), desk)).isEqualTo(200);
    changed(org, "/api/v1/users/" + org.id("a2"), Map.of("place", "p2"));
    assertThat(subscribedLists(org, org.token("a2"))).as("a2 moved to another place").isEmpty();
    changed(org, "/api/v1/place-groups/" + desks, Map.of("places", List.of("p2")));
    assertThat(subscribedLists(org, org.token("a3")))
        .as("a3's place left the place group")
        .isEmpty();

    changed(
        org,
        "/api/v1/agent-groups/" + other,
        Map.of("members", List.of(org.id("a3"), org.id("a1"))));
    assertThat(subscribedLists(org, org.token("a1")))
        .as("a1 allowed on the list again, not subscribed again")
        .containsExactly(org.openList);
    assertThat(subscribe(org, org.token("a1"), org.ownedList)).isEqualTo(200);
  }

  private static int subscribe(RoutingFixture org, String token, String listId) {
    return org.http.put("/api/v1/me/subscriptions/" + listId, token, "").status();
  }

  private static List<String> subscribedLists(RoutingFixture org, String token) {
    Response listed = org.http.get("/api/v1/me/subscriptions", token);
    assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
    return listed.json().findValuesAsText("listId");
  }

  private static void changed(RoutingFixture org, String path, Map<String, Object> fields) {
    Response changed = org.http.patch(path, org.admin, fields);
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
  }

  @Test
  void list_requests_come_highest_priority_first_then_oldest_first_and_filter_by_state() {
    RoutingFixture org = fixture();
    String first = org.intake(org.openChannel, 1);
    String second = org.intake(org.openChannel, 1);
    String urgent = org.intake(org.openChannel, 7);
    assertThat(org.join("a1", second).status()).isEqualTo(200);
    String path = "/api/v1/lists/" + org.openList + "/conversations";

    assertThat(org.http.get(path, org.token("a1")).json().findValuesAsText("id"))
        .containsExactly(urgent, first, second);
    assertThat(org.http.get(path + "?state=UNREAD", org.token("a1")).json().findValuesAsText("id"))
        .containsExactly(urgent, first);
    assertThat(org.http.get(path + "?state=ACTIVE", org.token("a1")).json().findValuesAsText("id"))
        .containsExactly(second);
    Response bad = org.http.get(path + "?state=LOST", org.token("a1"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().at("/errors/0/scope").asText()).isEqualTo("state");
  }

  @Test
  void a_list_read_counts_its_requests_per_state() {
    RoutingFixture org = fixture();
    String one = org.intake(org.openChannel, 0);
    org.intake(org.openChannel, 0);
    org.join("a1", one);
    JsonNode counts = org.http.get("/api/v1/lists/" + org.openList, org.admin).json().get("counts");
    assertThat(counts.get("UNREAD").asInt()).isEqualTo(1);
    assertThat(counts.get("ACTIVE").asInt()).isEqualTo(1);
    assertThat(counts.get("INACTIVE").asInt()).isEqualTo(0);
  }

  // ---- the state machine over HTTP

  @Test
  void join_leave_and_close_follow_the_state_machine_and_publish_their_events() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);

    long mark = EventsSeen.mark(server.server());
    Response joined = org.join("a1", id);
    assertThat(joined.status()).isEqualTo(200);
    assertThat(joined.json().get("state").asText()).isEqualTo("ACTIVE");
    assertThat(joined.json().get("participants").findValuesAsText("username"))
        .containsExactly("a1");
    assertThat(joined.json().at("/participants/0/joinedAt").asText()).endsWith("Z");
    List<Event> onJoin = eventsSince(org, mark);
    assertThat(EventsSeen.types(onJoin))
        .containsExactly(
            "pullMode.ListRequestUpdated",
            "messaging.EntityAdded",
            "messaging.EntityList",
            "messaging.EntityList",
            "engagementCenter.Active");
    assertThat(EventsSeen.pullModeEvent(onJoin.getFirst()).get("status").asText())
        .isEqualTo("ACTIVE");
    assertThat(EventsSeen.payload(onJoin.get(1)).at("/payload/entityId").asText())
        .isEqualTo(org.id("a1"));
    // The joining agent is addressed too: a poll it has parked listens without this conversation.
    assertThat(onJoin.get(1).audience())
        .containsExactlyInAnyOrder(Audience.conversation(id), Audience.user(org.id("a1")));
    assertThat(onJoin.get(4).audience()).containsExactly(Audience.user(org.id("a1")));

    long again = EventsSeen.mark(server.server());
    assertThat(org.join("a1", id).status()).isEqualTo(200);
    assertThat(eventsSince(org, again)).isEmpty();

    assertThat(org.join("a2", id).json().get("participants")).hasSize(2);
    assertThat(org.leave("a1", id).json().get("state").asText()).isEqualTo("ACTIVE");

    long lastLeave = EventsSeen.mark(server.server());
    assertThat(org.leave("a2", id).json().get("state").asText()).isEqualTo("INACTIVE");
    List<Event> onLeave = eventsSince(org, lastLeave);
    assertThat(EventsSeen.types(onLeave))
        .containsExactly(
            "messaging.EntityRemoved",
            "pullMode.ListRequestUpdated",
            "engagementCenter.Wrap",
            "engagementCenter.NotReady");
    assertThat(EventsSeen.pullModeEvent(onLeave.get(1)).get("status").asText())
        .isEqualTo("INACTIVE");

    Response rejoin = org.join("a1", id);
    assertThat(rejoin.json().get("state").asText()).isEqualTo("ACTIVE");

    long closing = EventsSeen.mark(server.server());
    Response closed = org.close(org.token("s1"), id);
    assertThat(closed.status()).isEqualTo(200);
    assertThat(closed.json().get("state").asText()).isEqualTo("CLOSED");
    assertThat(closed.json().get("participants")).isEmpty();
    assertThat(closed.json().get("closedAt").isNull()).isFalse();
    assertThat(EventsSeen.types(eventsSince(org, closing)))
        .containsExactly(
            "pullMode.ListRequestRemoved",
            "messaging.EntityRemoved",
            "engagementCenter.InteractionClear",
            "engagementCenter.Wrap",
            "engagementCenter.NotReady",
            // It waited in the Team's workbin (its list's owning group), joined but not pulled.
            "workbin.ItemRemoved");
    // An agent has one entityName in every messaging event: its display name (first name A1 here),
    // as in the events of its own join. Before, EntityList and EntityRemoved named its username.
    assertThat(
            eventsSince(org, mark).stream()
                .filter(event -> event.type().startsWith("messaging.Entity"))
                .filter(
                    event ->
                        EventsSeen.payload(event)
                            .at("/payload/entityId")
                            .asText()
                            .equals(org.id("a1")))
                .map(event -> EventsSeen.payload(event).at("/payload/entityName").asText())
                .distinct())
        .containsExactly("A1");
  }

  @Test
  void a_closed_request_refuses_join_close_and_messages_and_the_agent_gets_an_error_event() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    assertThat(org.close(org.admin, id).status()).isEqualTo(200);

    long mark = EventsSeen.mark(server.server());
    Response join = org.join("a1", id);
    assertThat(join.status()).isEqualTo(409);
    assertThat(join.json().get("code").asInt()).isEqualTo(409);
    assertThat(org.close(org.admin, id).status()).isEqualTo(409);
    Response customer =
        org.http.post(
            "/api/v1/conversations/" + id + "/messages", org.admin, Map.of("text", "anyone?"));
    assertThat(customer.status()).isEqualTo(409);
    assertThat(org.read(id).get("state").asText()).isEqualTo("CLOSED");

    List<Event> errors = ofType(eventsSince(org, mark), "engagementCenter.Error");
    assertThat(errors).hasSize(1);
    assertThat(errors.getFirst().audience()).containsExactly(Audience.user(org.id("a1")));
    assertThat(EventsSeen.payload(errors.getFirst()).at("/payload/failReason").asText())
        .contains("closed");
  }

  @Test
  void who_may_close_a_participant_a_supervisor_or_the_channel_but_not_another_agent() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    org.join("a1", id);
    assertThat(org.close(org.token("a2"), id).status()).isEqualTo(403);
    assertThat(org.close(org.token("a1"), id).status()).isEqualTo(200);

    String other = org.intake(org.webChannel, 0);
    assertThat(org.close(org.admin, other).status()).isEqualTo(200);
  }

  @Test
  void an_agent_not_allowed_on_the_list_cannot_join_and_leaving_without_joining_is_a_409() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    assertThat(org.join("a3", id).status()).isEqualTo(403);
    assertThat(org.leave("a1", id).status()).isEqualTo(409);
    assertThat(org.join("s1", id).status()).isEqualTo(200);
  }

  // ---- messages

  @Test
  void customer_and_participant_texts_are_stored_and_sent_to_the_conversation() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    org.join("a1", id);
    long mark = EventsSeen.mark(server.server());
    Response agent =
        org.http.post(
            "/api/v1/conversations/" + id + "/messages", org.token("a1"), Map.of("text", "hi"));
    assertThat(agent.status()).isEqualTo(201);
    assertThat(agent.json().at("/from/type").asText()).isEqualTo("AGENT");
    Response customer =
        org.http.post("/api/v1/conversations/" + id + "/messages", org.admin, Map.of("text", "yo"));
    assertThat(customer.status()).isEqualTo(201);
    assertThat(customer.json().at("/from/type").asText()).isEqualTo("CUSTOMER");

    JsonNode messages =
        org.http.get("/api/v1/conversations/" + id + "/messages", org.token("a1")).json();
    assertThat(messages.findValuesAsText("text")).containsExactly("hello", "hi", "yo");
    List<Event> texts = eventsSince(org, mark);
    assertThat(EventsSeen.types(texts))
        .containsExactly("messaging.EntitySendText", "messaging.EntitySendText");
    assertThat(EventsSeen.payload(texts.get(0)).at("/payload/entityType").asInt()).isEqualTo(1);
    assertThat(EventsSeen.payload(texts.get(1)).at("/payload/entityType").asInt()).isEqualTo(3);
    assertThat(EventsSeen.payload(texts.get(1)).at("/payload/text").asText()).isEqualTo("yo");
  }

  @Test
  void non_participants_cannot_write_and_an_empty_text_is_a_400() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    org.join("a1", id);
    Response outsider =
        org.http.post(
            "/api/v1/conversations/" + id + "/messages", org.token("a2"), Map.of("text", "me?"));
    assertThat(outsider.status()).isEqualTo(403);
    Response empty =
        org.http.post("/api/v1/conversations/" + id + "/messages", org.token("a1"), Map.of());
    assertThat(empty.status()).isEqualTo(400);
    assertThat(empty.json().at("/errors/0/scope").asText()).isEqualTo("text");
  }

  @Test
  void a_customer_message_on_an_inactive_request_publishes_no_list_notification() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    org.join("a1", id);
    org.leave("a1", id);
    assertThat(org.read(id).get("state").asText()).isEqualTo("INACTIVE");

    long mark = EventsSeen.mark(server.server());
    Response text =
        org.http.post(
            "/api/v1/conversations/" + id + "/messages", org.admin, Map.of("text", "still there?"));
    assertThat(text.status()).isEqualTo(201);
    List<Event> events = eventsSince(org, mark);
    assertThat(EventsSeen.types(events)).containsExactly("messaging.EntitySendText");
    assertThat(events.stream().filter(event -> event.category().equals("pullMode"))).isEmpty();
    assertThat(org.read(id).get("state").asText()).isEqualTo("INACTIVE");
  }

  // ---- agent state

  @Test
  void agent_state_goes_active_on_join_and_through_wrap_back_to_the_chosen_state() {
    RoutingFixture org = fixture();
    String a1 = org.token("a1");
    assertThat(org.http.get("/api/v1/me/state", a1).json().get("state").asText())
        .isEqualTo("NOT_READY");

    long ready = EventsSeen.mark(server.server());
    Response set = org.http.put("/api/v1/me/state", a1, Map.of("state", "READY"));
    assertThat(set.json().get("state").asText()).isEqualTo("READY");
    List<Event> idle = eventsSince(org, ready);
    assertThat(EventsSeen.types(idle)).containsExactly("engagementCenter.Idle");
    assertThat(EventsSeen.payload(idle.getFirst()).at("/payload/interactionId").asLong()).isZero();

    String id = org.intake(org.webChannel, 0);
    long interaction = org.read(id).get("interactionId").asLong();
    org.join("a1", id);
    JsonNode busy = org.http.get("/api/v1/me/state", a1).json();
    assertThat(busy.get("state").asText()).isEqualTo("ACTIVE");
    assertThat(busy.get("conversations").findValuesAsText("")).isEmpty();
    assertThat(busy.get("conversations").get(0).asText()).isEqualTo(id);

    long whileBusy = EventsSeen.mark(server.server());
    Response later =
        org.http.put("/api/v1/me/state", a1, Map.of("state", "NOT_READY", "reasonCode", "7"));
    assertThat(later.json().get("state").asText()).isEqualTo("ACTIVE");
    assertThat(later.json().get("chosenState").asText()).isEqualTo("NOT_READY");
    assertThat(eventsSince(org, whileBusy)).isEmpty();

    long leaving = EventsSeen.mark(server.server());
    org.leave("a1", id);
    List<Event> after = ofType(eventsSince(org, leaving), "engagementCenter.Wrap");
    assertThat(after).hasSize(1);
    assertThat(EventsSeen.payload(after.getFirst()).at("/payload/interactionId").asLong())
        .isEqualTo(interaction);
    Event notReady = ofType(eventsSince(org, leaving), "engagementCenter.NotReady").getFirst();
    assertThat(EventsSeen.payload(notReady).at("/payload/reasonId").asInt()).isEqualTo(7);
    assertThat(EventsSeen.payload(notReady).at("/payload/reasonIdRev").asText()).isEqualTo("7");
    assertThat(org.http.get("/api/v1/me/state", a1).json().get("state").asText())
        .isEqualTo("NOT_READY");
  }

  @Test
  void agent_state_refuses_unknown_states_and_a_reason_with_ready() {
    RoutingFixture org = fixture();
    Response unknown = org.http.put("/api/v1/me/state", org.token("a1"), Map.of("state", "BUSY"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().at("/errors/0/scope").asText()).isEqualTo("state");
    Response reason =
        org.http.put(
            "/api/v1/me/state", org.token("a1"), Map.of("state", "READY", "reasonCode", "1"));
    assertThat(reason.json().at("/errors/0/scope").asText()).isEqualTo("reasonCode");
    assertThat(org.http.put("/api/v1/me/state", org.admin, Map.of("state", "READY")).status())
        .isEqualTo(403);
  }

  // ---- correlation and tenancy

  @Test
  void events_carry_the_correlation_id_of_the_request_that_caused_them() {
    RoutingFixture org = fixture();
    String id = org.intake(org.webChannel, 0);
    long mark = EventsSeen.mark(server.server());
    Response joined =
        org.http.send(
            org.http
                .request("/api/v1/conversations/" + id + "/join")
                .header("Authorization", "Bearer " + org.token("a1"))
                .header("X-Correlation-Id", "trace-42")
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
    assertThat(joined.status()).isEqualTo(200);
    assertThat(eventsSince(org, mark))
        .isNotEmpty()
        .allMatch(e -> "trace-42".equals(e.correlationId()));
  }

  @Test
  void another_organization_cannot_see_or_touch_a_request() {
    RoutingFixture org = fixture();
    RoutingFixture other = fixture();
    String id = org.intake(org.webChannel, 0);
    assertThat(other.http.get("/api/v1/conversations/" + id, other.admin).status()).isEqualTo(404);
    assertThat(other.join("a1", id).status()).isEqualTo(404);
    assertThat(other.close(other.admin, id).status()).isEqualTo(404);
    assertThat(
            other
                .http
                .post("/api/v1/conversations/" + id + "/messages", other.admin, Map.of("text", "x"))
                .status())
        .isEqualTo(404);
    assertThat(
            other
                .http
                .post(
                    "/api/v1/channels/" + org.webChannel + "/conversations", other.admin, Map.of())
                .status())
        .isEqualTo(404);
    assertThat(org.read(id).get("state").asText()).isEqualTo("UNREAD");
  }
}
