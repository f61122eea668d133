package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.criteria;
import static io.pullroute.streaming.StreamingFixture.payload;
import static io.pullroute.streaming.StreamingFixture.pullModeEvent;
import static io.pullroute.streaming.StreamingFixture.scope;
import static io.pullroute.streaming.StreamingFixture.type;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Subscriptions of spec 003: CRUD under v2 and v3, validation of {@code filterCriteria}, which
 * events each filter lets through, who may subscribe to what, and the limit per session.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class SubscriptionTest {
  private static final AtomicInteger ORGS = new AtomicInteger();

  @Parameter StoreKind store;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store, config -> config.withPollWait(Duration.ofMillis(300)));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static StreamingFixture fixture(String... users) {
    return new StreamingFixture(server, "subs-" + ORGS.incrementAndGet(), users);
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static Map<String, Object> body(String description, Map<String, Object> criteria) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("description", description);
    body.put("filterCriteria", criteria);
    return body;
  }

  // ---- CRUD

  @ParameterizedTest(name = "v{0}")
  @ValueSource(ints = {2, 3})
  void subscriptions_are_created_listed_read_replaced_and_deleted(int version) {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, version);
    String path = org.base(version) + "/subscriptions";
    Map<String, Object> thirdParty =
        criteria(
            "engagementCenterThirdParty",
            List.of("ScreenPop", "Idle", "NotReady"),
            "users",
            List.of("ef3084eba0ea470", "2d890d0d2a6ac46"));

    Response created =
        org.subscribe(org.admin, version, session, body("third party events", thirdParty));
    assertThat(created.status()).as(created.toString()).isEqualTo(200);
    JsonNode subscription = created.json();
    assertThat(fields(subscription))
        .containsExactly(
            "kind",
            "subscriptionId",
            "description",
            "filterCriteria",
            "creationTime",
            "lastModifiedTime");
    assertThat(subscription.get("kind").asText()).isEqualTo("via#subscription");
    String id = subscription.get("subscriptionId").asText();
    assertThat(id).isNotBlank();
    assertThat(subscription.get("description").asText()).isEqualTo("third party events");
    assertThat(subscription.get("filterCriteria"))
        .isEqualTo(ApiClient.JSON.valueToTree(thirdParty));
    assertThat(subscription.get("creationTime").asText()).matches(StreamingFixture.TIME);
    assertThat(subscription.get("lastModifiedTime").asText()).matches(StreamingFixture.TIME);

    Response collection = org.call("GET", path, org.admin, session, null);
    assertThat(collection.status()).as(collection.toString()).isEqualTo(200);
    assertThat(fields(collection.json())).containsExactly("kind", "subscriptions");
    assertThat(collection.json().get("kind").asText()).isEqualTo("via#subscriptionsCollection");
    assertThat(collection.json().get("subscriptions")).containsExactly(subscription);

    Response one = org.call("GET", path + "/" + id, org.admin, session, null);
    assertThat(one.status()).as(one.toString()).isEqualTo(200);
    assertThat(one.json()).isEqualTo(subscription);

    server.clock().advance(Duration.ofSeconds(1));
    Map<String, Object> onlyIdle =
        criteria("engagementCenterThirdParty", List.of("Idle"), "*", List.of());
    Response replaced =
        org.call("PUT", path + "/" + id, org.admin, session, body("idle", onlyIdle));
    assertThat(replaced.status()).as(replaced.toString()).isEqualTo(200);
    assertThat(replaced.json().get("subscriptionId").asText()).isEqualTo(id);
    assertThat(replaced.json().get("description").asText()).isEqualTo("idle");
    assertThat(replaced.json().at("/filterCriteria/catalogTypeEvents/0").asText())
        .isEqualTo("Idle");
    assertThat(replaced.json().get("creationTime")).isEqualTo(subscription.get("creationTime"));
    assertThat(replaced.json().get("lastModifiedTime").asText())
        .isGreaterThan(subscription.get("lastModifiedTime").asText());
    assertThat(org.call("GET", path + "/" + id, org.admin, session, null).json())
        .isEqualTo(replaced.json());

    Response put =
        org.call(
            "PUT", path + "/my-filter", org.admin, session, Map.of("filterCriteria", onlyIdle));
    assertThat(put.status()).as(put.toString()).isEqualTo(201);
    assertThat(put.json().get("kind").asText()).isEqualTo("via#subscription");
    assertThat(put.json().get("subscriptionId").asText()).isEqualTo("my-filter");
    assertThat(org.call("GET", path, org.admin, session, null).json().get("subscriptions"))
        .hasSize(2);

    Response deleted = org.call("DELETE", path + "/" + id, org.admin, session, null);
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    assertThat(org.call("GET", path + "/" + id, org.admin, session, null).status()).isEqualTo(404);
    assertThat(org.call("DELETE", path + "/" + id, org.admin, session, null).status())
        .isEqualTo(404);
    JsonNode remaining =
        org.call("GET", path, org.admin, session, null).json().get("subscriptions");
    assertThat(remaining).hasSize(1);
    assertThat(remaining.get(0).get("subscriptionId").asText()).isEqualTo("my-filter");
  }

  // ---- validation

  @Test
  void invalid_filter_criteria_are_a_400_naming_the_field() {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 3);
    Map<String, Object> cases = new LinkedHashMap<>();
    cases.put("filterCriteria", Map.of("description", "no filter"));
    cases.put(
        "filterCriteria.catalogType",
        Map.of("filterCriteria", criteria("telepathy", List.of("all"), "*", List.of())));
    cases.put(
        "filterCriteria.catalogTypeEvents",
        Map.of(
            "filterCriteria",
            criteria("engagementCenterThirdParty", List.of(), "users", List.of())));
    cases.put(
        "filterCriteria.catalogTypeEvents[0]",
        Map.of(
            "filterCriteria",
            criteria("engagementCenterThirdParty", List.of("Sleeping"), "users", List.of())));
    cases.put(
        "filterCriteria.resources.resourceType",
        Map.of(
            "filterCriteria",
            criteria("engagementCenterThirdParty", List.of("Idle"), "lists", List.of())));
    Map<String, Object> misspelt =
        new LinkedHashMap<>(
            criteria("engagementCenterThirdParty", List.of("Idle"), "*", List.of()));
    misspelt.put("catalogTypeEvent", List.of("Idle"));
    cases.put("filterCriteria.catalogTypeEvent", Map.of("filterCriteria", misspelt));
    cases.put(
        "filterCriteria.resources.resourceId",
        Map.of(
            "filterCriteria",
            Map.of(
                "catalogType",
                "engagementCenterThirdParty",
                "catalogTypeEvents",
                List.of("Idle"),
                "resources",
                Map.of("resourceType", "users", "resourceIds", List.of(), "resourceId", "u1"))));
    // Lists a session keeps in memory are bounded (before, up to the 1 MiB of a body each).
    cases.put(
        "filterCriteria.resources.resourceIds",
        Map.of(
            "filterCriteria",
            criteria(
                "engagementCenterThirdParty",
                List.of("Idle"),
                "users",
                java.util.Collections.nCopies(1001, "u1"))));
    cases.put(
        "filterCriteria.resources.resourceIds[1]",
        Map.of(
            "filterCriteria",
            criteria(
                "engagementCenterThirdParty",
                List.of("Idle"),
                "users",
                List.of("u1", "u".repeat(201)))));
    SoftAssertions soft = new SoftAssertions();
    for (Map.Entry<String, Object> entry : cases.entrySet()) {
      Response response = org.subscribe(org.admin, 3, session, entry.getValue());
      soft.assertThat(response.status()).as(entry.getKey() + ": " + response).isEqualTo(400);
      if (response.status() == 400) {
        soft.assertThat(scope(response)).as(entry.getKey()).isEqualTo(entry.getKey());
      }
    }
    Response names =
        org.subscribe(
            org.admin,
            3,
            session,
            Map.of(
                "filterCriteria",
                criteria(
                    "engagementCenterThirdParty",
                    java.util.Collections.nCopies(1001, "all"),
                    "users",
                    List.of())));
    soft.assertThat(names.status()).as(names.toString()).isEqualTo(400);
    soft.assertThat(scope(names)).isEqualTo("filterCriteria.catalogTypeEvents");
    soft.assertAll();
    Response listed = org.call("GET", org.base(3) + "/subscriptions", org.admin, session, null);
    assertThat(listed.json().get("subscriptions")).as("nothing was saved").isEmpty();
  }

  @Test
  void resource_ids_given_as_one_string_are_accepted() {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 2);
    Response response =
        org.subscribe(
            org.admin,
            2,
            session,
            Map.of(
                "filterCriteria",
                criteria(
                    "engagementCenterThirdParty", List.of("Idle"), "users", "2d890d0d2a6ac46")));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    JsonNode ids = response.json().at("/filterCriteria/resources/resourceIds");
    assertThat(ids.isArray()).isTrue();
    assertThat(ids).hasSize(1);
    assertThat(ids.get(0).asText()).isEqualTo("2d890d0d2a6ac46");
  }

  // ---- what passes a filter

  /** One row of the table: a session with one subscription and the events it must receive. */
  private record Case(
      String name, boolean supervisor, Map<String, Object> filter, List<String> expected) {}

  @Test
  void each_filter_lets_through_exactly_the_events_it_names() {
    StreamingFixture org = fixture("a1", "a2", "s1");
    String a1 = org.id("a1");
    String a2 = org.id("a2");
    List<Case> table =
        List.of(
            new Case(
                "Idle and NotReady of a1",
                true,
                criteria(
                    "engagementCenterThirdParty",
                    List.of("Idle", "NotReady"),
                    "users",
                    List.of(a1)),
                List.of("engagementCenter.Idle a1", "engagementCenter.NotReady a1")),
            new Case(
                "all engagementCenter events of a1",
                true,
                criteria("engagementCenterThirdParty", List.of("all"), "users", List.of(a1)),
                List.of(
                    "engagementCenter.Idle a1",
                    "engagementCenter.NotReady a1",
                    "engagementCenter.Active a1")),
            new Case(
                "Idle of every user, resourceIds []",
                false,
                criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of()),
                List.of("engagementCenter.Idle a1", "engagementCenter.Idle a2")),
            new Case(
                "Idle of every user, resourceIds [*]",
                true,
                criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of("*")),
                List.of("engagementCenter.Idle a1", "engagementCenter.Idle a2")),
            new Case(
                "Idle of every resource, resourceType *",
                false,
                criteria("engagementCenterThirdParty", List.of("Idle"), "*", List.of(a2)),
                List.of("engagementCenter.Idle a1", "engagementCenter.Idle a2")),
            new Case(
                "requests received on Open",
                true,
                criteria(
                    "pullMode", List.of("ListRequestReceived"), "lists", List.of(org.openList)),
                List.of("pullMode.ListRequestReceived Open")),
            new Case(
                "texts of every conversation",
                false,
                criteria("messaging", List.of("EntitySendText"), "conversations", List.of("*")),
                List.of("messaging.EntitySendText to Open", "messaging.EntitySendText to Owned")),
            new Case(
                "outreach status of every campaign",
                false,
                criteria("outreach", List.of("status"), "*", List.of()),
                List.of("outreach.status c1")));
    Map<String, String> names = new LinkedHashMap<>();
    names.put(a1, "a1");
    names.put(a2, "a2");
    names.put(org.openList, "Open");
    names.put(org.ownedList, "Owned");

    Map<Case, String> sessions = new LinkedHashMap<>();
    for (Case row : table) {
      String token = row.supervisor() ? org.token("s1") : org.admin;
      String session = org.session(token, 3);
      org.subscribed(token, 3, session, row.filter());
      // Every session also hears the marker that ends the test's events.
      org.subscribed(
          token,
          3,
          session,
          criteria("outreach", List.of("automationScriptStatus"), "*", List.of()));
      sessions.put(row, session);
    }

    org.state("a1", "READY");
    org.state("a2", "READY");
    org.state("a1", "NOT_READY");
    String open = org.intake(org.openChannel, "to Open");
    org.intake(org.webChannel, "to Owned");
    org.join("a1", open);
    String published = org.publishOutreach(10);
    org.publish(
        "outreach.automationScriptStatus",
        "campaigns",
        "marker",
        Map.of("automationScriptId", "915", "runningState", false, "status", 2));

    SoftAssertions soft = new SoftAssertions();
    for (Map.Entry<Case, String> entry : sessions.entrySet()) {
      Case row = entry.getKey();
      String token = row.supervisor() ? org.token("s1") : org.admin;
      List<JsonNode> events =
          org.pollUntil(
              token,
              3,
              entry.getValue(),
              seen -> StreamingFixture.types(seen).contains("outreach.automationScriptStatus"));
      List<String> described = new ArrayList<>();
      for (JsonNode event : events) {
        if (!type(event).equals("outreach.automationScriptStatus")) {
          described.add(describe(event, names));
        }
      }
      soft.assertThat(described).as(row.name()).containsExactlyElementsOf(row.expected());
      if (row.name().startsWith("outreach")) {
        soft.assertThat(StreamingFixture.eventId(events.getFirst()))
            .as("the id the publish API answered")
            .isEqualTo(published);
      }
    }
    soft.assertAll();
  }

  /** {@code <type> <who or what it is about>}, with the fixture's names. */
  private static String describe(JsonNode event, Map<String, String> names) {
    String type = type(event);
    JsonNode payload = payload(event);
    String about;
    if (type.startsWith("engagementCenter.")) {
      about = names.getOrDefault(payload.get("userId").asText(), payload.get("userId").asText());
    } else if (type.startsWith("pullMode.")) {
      String list = pullModeEvent(event).get("listId").asText();
      about = names.getOrDefault(list, list);
    } else if (type.equals("messaging.EntitySendText")) {
      about = payload.at("/payload/text").asText();
    } else if (type.startsWith("outreach.")) {
      about = "c1";
    } else {
      about = "?";
    }
    return type + " " + about;
  }

  // ---- who may subscribe to what

  @Test
  void an_agent_may_subscribe_only_to_itself_and_to_lists_it_may_work_on() {
    StreamingFixture org = fixture("a1", "a2", "a3");
    String a1Session = org.session(org.token("a1"), 3);
    String a3Session = org.session(org.token("a3"), 3);
    String a1 = org.id("a1");

    Map<String, Map<String, Object>> allowed = new LinkedHashMap<>();
    allowed.put(
        "users [itself]",
        criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of(a1)));
    allowed.put(
        "lists [Open]", criteria("pullMode", List.of("all"), "lists", List.of(org.openList)));
    allowed.put(
        "lists [Owned], its group's list",
        criteria("pullMode", List.of("all"), "lists", List.of(org.ownedList)));
    Map<String, Map<String, Object>> forbidden = new LinkedHashMap<>();
    forbidden.put(
        "users [a2]",
        criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of(org.id("a2"))));
    forbidden.put(
        "users [itself, a2]",
        criteria(
            "engagementCenterThirdParty", List.of("Idle"), "users", List.of(a1, org.id("a2"))));
    forbidden.put(
        "users [*]",
        criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of("*")));
    forbidden.put(
        "users []", criteria("engagementCenterThirdParty", List.of("Idle"), "users", List.of()));
    forbidden.put(
        "resourceType *",
        criteria("engagementCenterThirdParty", List.of("Idle"), "*", List.of(a1)));

    SoftAssertions soft = new SoftAssertions();
    for (Map.Entry<String, Map<String, Object>> entry : allowed.entrySet()) {
      Response response =
          org.subscribe(org.token("a1"), 3, a1Session, Map.of("filterCriteria", entry.getValue()));
      soft.assertThat(response.status()).as(entry.getKey() + ": " + response).isEqualTo(200);
    }
    for (Map.Entry<String, Map<String, Object>> entry : forbidden.entrySet()) {
      Response response =
          org.subscribe(org.token("a1"), 3, a1Session, Map.of("filterCriteria", entry.getValue()));
      soft.assertThat(response.status()).as(entry.getKey() + ": " + response).isEqualTo(403);
    }
    Response ownedByOthers =
        org.subscribe(
            org.token("a3"),
            3,
            a3Session,
            Map.of(
                "filterCriteria",
                criteria("pullMode", List.of("all"), "lists", List.of(org.ownedList))));
    soft.assertThat(ownedByOthers.status())
        .as("a3 on Owned, a list of a group it is not in: " + ownedByOthers)
        .isEqualTo(403);
    soft.assertAll();

    Response listed =
        org.call("GET", org.base(3) + "/subscriptions", org.token("a1"), a1Session, null);
    assertThat(listed.json().get("subscriptions")).hasSize(allowed.size());
  }

  // ---- limit

  @Test
  void a_session_holds_at_most_50_subscriptions_and_the_51st_is_a_429() {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 3);
    Map<String, Object> filter =
        Map.of("filterCriteria", criteria("outreach", List.of("all"), "*", List.of()));
    for (int i = 0; i < 50; i++) {
      Response response = org.subscribe(org.admin, 3, session, filter);
      assertThat(response.status()).as("subscription %d: %s", i + 1, response).isEqualTo(200);
    }

    Response refused = org.subscribe(org.admin, 3, session, filter);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
    assertThat(refused.header("Retry-After")).isNotNull();
    Response putNew =
        org.call("PUT", org.base(3) + "/subscriptions/one-more", org.admin, session, filter);
    assertThat(putNew.status()).as(putNew.toString()).isEqualTo(429);

    String existing =
        org.call("GET", org.base(3) + "/subscriptions", org.admin, session, null)
            .json()
            .at("/subscriptions/0/subscriptionId")
            .asText();
    Response replaced =
        org.call("PUT", org.base(3) + "/subscriptions/" + existing, org.admin, session, filter);
    assertThat(replaced.status()).as("replacing one is not adding one: " + replaced).isEqualTo(200);
  }

  @Test
  void concurrent_creates_never_give_a_session_more_than_50_subscriptions() throws Exception {
    StreamingFixture org = fixture();
    Map<String, Object> filter =
        Map.of("filterCriteria", criteria("outreach", List.of("all"), "*", List.of()));
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      // The race is between counting a session's subscriptions and adding one: a few rounds.
      for (int round = 1; round <= 5; round++) {
        server.clock().advance(Duration.ofSeconds(1)); // refills the principal's request budget
        String session = org.session(org.admin, 3);
        List<Future<Response>> creates = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
          creates.add(pool.submit(() -> org.subscribe(org.admin, 3, session, filter)));
        }
        int granted = 0;
        for (Future<Response> create : creates) {
          Response response = create.get(60, TimeUnit.SECONDS);
          assertThat(response.status()).as(response.toString()).isIn(200, 429);
          granted += response.status() == 200 ? 1 : 0;
        }
        JsonNode stored =
            org.call("GET", org.base(3) + "/subscriptions", org.admin, session, null)
                .json()
                .get("subscriptions");
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(granted)
            .as("round %d: subscriptions granted by 70 concurrent creates", round)
            .isLessThanOrEqualTo(50);
        soft.assertThat(stored.size())
            .as("round %d: subscriptions stored", round)
            .isLessThanOrEqualTo(50);
        soft.assertAll();
        assertThat(org.deleteSession(org.admin, 3, session).status()).isEqualTo(204);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
