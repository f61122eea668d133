package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.INVALID_SESSION;
import static io.pullroute.streaming.StreamingFixture.scope;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Streaming sessions of spec 003 over HTTP: creating them (v2 property list, v3 object), deleting
 * them, the "Invalid or expired session" rule, ownership, API key and expiry.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class StreamingSessionTest {
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
    return new StreamingFixture(server, "sessions-" + ORGS.incrementAndGet(), users);
  }

  private static void assertInvalidSession(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("code").asInt()).isEqualTo(400);
    assertThat(response.json().get("message").asText()).isEqualTo(INVALID_SESSION);
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  // ---- create

  @Test
  void v2_create_takes_the_property_list_as_a_json_array_as_a_json_string_or_no_body() {
    StreamingFixture org = fixture();
    String asArray = "[{\"propertyName\":\"inactivityDelay\",\"propertyValue\":\"300\"}]";
    String asString =
        "\"[{\\\"propertyName\\\":\\\"inactivityDelay\\\",\\\"propertyValue\\\":\\\"120\\\"}]\"";

    Response array = org.createSession(org.admin, 2, asArray);
    Response string = org.createSession(org.admin, 2, asString);
    Response empty = org.createSession(org.admin, 2, null);

    for (Response response : List.of(array, string, empty)) {
      assertThat(response.status()).as(response.toString()).isEqualTo(200);
      JsonNode body = response.json();
      assertThat(fields(body)).containsExactly("sessionId", "creationTime", "inactivityDelay");
      assertThat(body.get("sessionId").asText()).isNotBlank();
      assertThat(body.get("creationTime").asText()).matches(StreamingFixture.TIME);
      assertThat(body.get("inactivityDelay").isInt()).isTrue();
    }
    assertThat(array.json().get("inactivityDelay").asInt()).isEqualTo(300);
    assertThat(string.json().get("inactivityDelay").asInt()).isEqualTo(120);
    assertThat(empty.json().get("inactivityDelay").asInt()).isEqualTo(60);
    assertThat(
            List.of(
                array.json().get("sessionId").asText(),
                string.json().get("sessionId").asText(),
                empty.json().get("sessionId").asText()))
        .doesNotHaveDuplicates();
  }

  /**
   * A v2 property is a {propertyName, propertyValue} object, and has no other field. Before, a
   * misspelt field was dropped silently, and a property that was no object was an unknown 'null'.
   */
  @Test
  void a_v2_property_with_a_field_it_does_not_have_or_not_an_object_is_a_400_naming_it() {
    StreamingFixture org = fixture();
    Response extra =
        org.createSession(
            org.admin,
            2,
            "[{\"propertyName\":\"inactivityDelay\",\"propertyValue\":\"300\","
                + "\"propertyType\":\"int\"}]");
    assertThat(extra.status()).as(extra.toString()).isEqualTo(400);
    assertThat(scope(extra)).isEqualTo("[0].propertyType");

    Response notAnObject = org.createSession(org.admin, 2, "[5]");
    assertThat(notAnObject.status()).as(notAnObject.toString()).isEqualTo(400);
    assertThat(scope(notAnObject)).isEqualTo("[0]");
  }

  @Test
  void v3_create_answers_require_acknowledgement_as_well() {
    StreamingFixture org = fixture();

    Response acknowledged =
        org.createSession(
            org.admin, 3, Map.of("inactivityDelay", 300, "requireAcknowledgement", true));
    Response empty = org.createSession(org.admin, 3, null);
    Response emptyObject = org.createSession(org.admin, 3, "{}");

    for (Response response : List.of(acknowledged, empty, emptyObject)) {
      assertThat(response.status()).as(response.toString()).isEqualTo(200);
      assertThat(fields(response.json()))
          .containsExactly(
              "sessionId", "creationTime", "inactivityDelay", "requireAcknowledgement");
      assertThat(response.json().get("creationTime").asText()).matches(StreamingFixture.TIME);
    }
    assertThat(acknowledged.json().get("inactivityDelay").asInt()).isEqualTo(300);
    assertThat(acknowledged.json().get("requireAcknowledgement").asBoolean()).isTrue();
    assertThat(empty.json().get("inactivityDelay").asInt()).isEqualTo(60);
    assertThat(empty.json().get("requireAcknowledgement").isBoolean()).isTrue();
    assertThat(empty.json().get("requireAcknowledgement").asBoolean()).isFalse();
    assertThat(emptyObject.json().get("inactivityDelay").asInt()).isEqualTo(60);
  }

  @Test
  void an_inactivity_delay_outside_60_to_600_or_not_a_number_is_a_400_naming_it() {
    StreamingFixture org = fixture();
    for (String value : List.of("59", "601", "x")) {
      Response v2 =
          org.createSession(
              org.admin,
              2,
              "[{\"propertyName\":\"inactivityDelay\",\"propertyValue\":\"" + value + "\"}]");
      assertThat(v2.status()).as("v2 " + value + ": " + v2).isEqualTo(400);
      assertThat(scope(v2)).as("v2 " + value).isEqualTo("inactivityDelay");

      Object v3Value = value.equals("x") ? "x" : Integer.parseInt(value);
      Response v3 = org.createSession(org.admin, 3, Map.of("inactivityDelay", v3Value));
      assertThat(v3.status()).as("v3 " + value + ": " + v3).isEqualTo(400);
      assertThat(scope(v3)).as("v3 " + value).isEqualTo("inactivityDelay");
    }
  }

  @Test
  void inactivity_delays_of_60_and_600_are_accepted() {
    StreamingFixture org = fixture();
    for (int delay : List.of(60, 600)) {
      Response v2 =
          org.createSession(
              org.admin,
              2,
              "[{\"propertyName\":\"inactivityDelay\",\"propertyValue\":\"" + delay + "\"}]");
      assertThat(v2.status()).as(v2.toString()).isEqualTo(200);
      assertThat(v2.json().get("inactivityDelay").asInt()).isEqualTo(delay);

      Response v3 = org.createSession(org.admin, 3, Map.of("inactivityDelay", delay));
      assertThat(v3.status()).as(v3.toString()).isEqualTo(200);
      assertThat(v3.json().get("inactivityDelay").asInt()).isEqualTo(delay);
    }
  }

  // ---- invalid sessions

  @Test
  void a_deleted_session_is_an_invalid_session_for_every_later_call() {
    StreamingFixture org = fixture();
    for (int version : List.of(2, 3)) {
      String session = org.session(org.admin, version);
      assertThat(org.poll(org.admin, version, session, null).status()).isEqualTo(200);

      Response deleted = org.deleteSession(org.admin, version, session);
      assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);

      assertInvalidSession(org.poll(org.admin, version, session, null));
      assertInvalidSession(org.deleteSession(org.admin, version, session));
      assertInvalidSession(
          org.call("GET", org.base(version) + "/subscriptions", org.admin, session, null));
    }
  }

  @Test
  void an_unknown_session_id_is_an_invalid_session() {
    StreamingFixture org = fixture();
    for (int version : List.of(2, 3)) {
      assertInvalidSession(org.poll(org.admin, version, "ab7dbcbc-c041-4ac0-8ca0-5a0961f7be5", 1));
      assertInvalidSession(org.deleteSession(org.admin, version, "no-such-session"));
    }
    assertInvalidSession(
        org.acknowledgeIds(org.admin, "no-such-session", List.of("1519073278252-0")));
  }

  @Test
  void a_session_is_invalid_on_the_session_events_and_acknowledge_paths_of_the_other_version() {
    StreamingFixture org = fixture();
    String v2 = org.session(org.admin, 2);
    String v3 = org.sessionV3(org.admin, true);

    assertInvalidSession(org.poll(org.admin, 3, v2, null));
    assertInvalidSession(org.acknowledgeIds(org.admin, v2, List.of("1519073278252-0")));
    assertInvalidSession(org.deleteSession(org.admin, 3, v2));
    assertInvalidSession(org.poll(org.admin, 2, v3, null));
    assertInvalidSession(org.deleteSession(org.admin, 2, v3));

    // refused calls do not end the sessions
    assertThat(org.poll(org.admin, 2, v2, null).status()).isEqualTo(200);
    assertThat(org.poll(org.admin, 3, v3, null).status()).isEqualTo(200);
  }

  @Test
  void subscriptions_accept_sessions_of_either_version_on_both_paths() {
    StreamingFixture org = fixture();
    Map<String, Object> criteria =
        StreamingFixture.criteria("outreach", List.of("all"), "*", List.of());
    for (int sessionVersion : List.of(2, 3)) {
      String session = org.session(org.admin, sessionVersion);
      List<String> created = new ArrayList<>();
      for (int pathVersion : List.of(2, 3)) {
        Response response =
            org.subscribe(org.admin, pathVersion, session, Map.of("filterCriteria", criteria));
        assertThat(response.status())
            .as("v%d session on the v%d path: %s", sessionVersion, pathVersion, response)
            .isEqualTo(200);
        created.add(response.json().get("subscriptionId").asText());
      }
      for (int pathVersion : List.of(2, 3)) {
        Response listed =
            org.call("GET", org.base(pathVersion) + "/subscriptions", org.admin, session, null);
        assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        listed.json().get("subscriptions").forEach(s -> ids.add(s.get("subscriptionId").asText()));
        assertThat(ids).containsExactlyInAnyOrderElementsOf(created);
      }
    }
  }

  // ---- ownership and credentials

  @Test
  void nobody_but_its_owner_may_use_a_session() {
    StreamingFixture org = fixture("a1", "a2");
    String session = org.session(org.token("a1"), 3);

    assertInvalidSession(org.poll(org.token("a2"), 3, session, null));
    assertInvalidSession(org.poll(org.admin, 3, session, null));
    assertInvalidSession(org.deleteSession(org.token("a2"), 3, session));
    assertInvalidSession(
        org.call("GET", org.base(3) + "/subscriptions", org.token("a2"), session, null));

    ApiClient.Org other = server.http().createOrganization("sessions-other-" + ORGS.get());
    Response stranger =
        server
            .http()
            .send(
                server
                    .http()
                    .request(
                        "/via/v3/organizations/" + other.orgId() + "/streaming/events?maxEvents=1")
                    .header("Authorization", "Bearer " + other.adminToken())
                    .header("x-api-key", other.apiKey())
                    .header(StreamingRoutes.SESSION_HEADER, session)
                    .GET());
    assertInvalidSession(stranger);

    Response owner = org.poll(org.token("a1"), 3, session, null);
    assertThat(owner.status()).as("the owner's session still works: " + owner).isEqualTo(200);
  }

  @Test
  void via_calls_need_the_organizations_api_key_and_its_own_organization_in_the_path() {
    StreamingFixture org = fixture();
    String path = org.base(3) + "/session";

    Response noKey =
        server
            .http()
            .send(
                server
                    .http()
                    .request(path)
                    .header("Authorization", "Bearer " + org.admin)
                    .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(noKey.status()).as(noKey.toString()).isEqualTo(401);

    ApiClient.Org other = server.http().createOrganization("sessions-keys-" + ORGS.get());
    Response wrongKey =
        server
            .http()
            .send(
                server
                    .http()
                    .request(path)
                    .header("Authorization", "Bearer " + org.admin)
                    .header("x-api-key", other.apiKey())
                    .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(wrongKey.status()).as(wrongKey.toString()).isEqualTo(401);

    Response noToken =
        server
            .http()
            .send(
                server
                    .http()
                    .request(path)
                    .header("x-api-key", org.apiKey)
                    .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(noToken.status()).as(noToken.toString()).isEqualTo(401);

    Response wrongOrg =
        server
            .http()
            .send(
                server
                    .http()
                    .request("/via/v3/organizations/" + other.orgId() + "/streaming/session")
                    .header("Authorization", "Bearer " + org.admin)
                    .header("x-api-key", other.apiKey())
                    .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(wrongOrg.status()).as(wrongOrg.toString()).isEqualTo(403);
  }

  // ---- expiry

  @Test
  void a_session_not_polled_within_its_inactivity_delay_expires() {
    StreamingFixture org = fixture();
    Response created = org.createSession(org.admin, 3, Map.of("inactivityDelay", 60));
    String session = created.json().get("sessionId").asText();

    server.clock().advance(Duration.ofSeconds(61));

    assertInvalidSession(org.poll(org.admin, 3, session, null));
  }

  @Test
  void a_session_polled_within_its_inactivity_delay_stays_valid() {
    StreamingFixture org = fixture();
    Response created = org.createSession(org.admin, 3, Map.of("inactivityDelay", 60));
    String session = created.json().get("sessionId").asText();

    server.clock().advance(Duration.ofSeconds(50));
    Response first = org.poll(org.admin, 3, session, null);
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    server.clock().advance(Duration.ofSeconds(50));
    Response second = org.poll(org.admin, 3, session, null);
    assertThat(second.status())
        .as("100 s after creation, 50 s after a poll: " + second)
        .isEqualTo(200);
  }

  @Test
  void expire_deletes_idle_sessions_from_the_store_and_keeps_the_others() {
    StreamingFixture org = fixture();
    String idle =
        org.createSession(org.admin, 3, Map.of("inactivityDelay", 60))
            .json()
            .get("sessionId")
            .asText();
    String patient =
        org.createSession(org.admin, 3, Map.of("inactivityDelay", 600))
            .json()
            .get("sessionId")
            .asText();
    assertThat(stored(idle)).isTrue();

    server.clock().advance(Duration.ofSeconds(61));
    server.server().streaming().expire();

    assertThat(stored(idle)).as("the idle session is deleted from the store").isFalse();
    assertThat(stored(patient)).as("a session within its delay is kept").isTrue();
    assertInvalidSession(org.poll(org.admin, 3, idle, null));
    assertThat(org.poll(org.admin, 3, patient, null).status()).isEqualTo(200);
  }

  private static boolean stored(String sessionId) {
    return server
        .server()
        .database()
        .jdbi()
        .withHandle(
            handle ->
                handle
                        .createQuery("SELECT COUNT(*) FROM streaming_session WHERE id = :id")
                        .bind("id", sessionId)
                        .mapTo(Integer.class)
                        .one()
                    > 0);
  }

  // ---- limits

  @Test
  void a_principal_holds_at_most_20_sessions_and_the_21st_is_a_429_with_retry_after() {
    StreamingFixture org = fixture();
    List<String> sessions = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sessions.add(org.session(org.admin, i % 2 == 0 ? 2 : 3));
    }

    Response refused = org.createSession(org.admin, 3, null);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
    assertThat(refused.json().get("code").asInt()).isEqualTo(429);
    assertThat(refused.header("Retry-After")).isNotNull();
    assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
    assertThat(org.createSession(org.admin, 2, null).status()).isEqualTo(429);

    assertThat(org.deleteSession(org.admin, 3, sessions.get(1)).status()).isEqualTo(204);
    assertThat(org.createSession(org.admin, 3, null).status())
        .as("a deleted session frees its place")
        .isEqualTo(200);
  }

  @Test
  void concurrent_creates_never_give_a_principal_more_than_20_sessions() throws Exception {
    StreamingFixture org = fixture();
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      // The race is between counting a principal's sessions and adding one: a few rounds.
      for (int round = 1; round <= 8; round++) {
        server.clock().advance(Duration.ofSeconds(1)); // refills the principal's request budget
        List<Future<Response>> creates = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          creates.add(pool.submit(() -> org.createSession(org.admin, 3, null)));
        }
        List<String> created = new ArrayList<>();
        for (Future<Response> create : creates) {
          Response response = create.get(60, TimeUnit.SECONDS);
          assertThat(response.status()).as(response.toString()).isIn(200, 429);
          if (response.status() == 200) {
            created.add(response.json().get("sessionId").asText());
          }
        }
        assertThat(created.size())
            .as("round %d: sessions granted to one principal by 40 concurrent creates", round)
            .isLessThanOrEqualTo(20);
        for (String session : created) {
          assertThat(org.deleteSession(org.admin, 3, session).status()).isEqualTo(204);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
