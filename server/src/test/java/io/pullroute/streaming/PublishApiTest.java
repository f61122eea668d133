package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.scope;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code POST /api/v1/events}: external producers add catalog events, checked by the catalog. */
@ParameterizedClass
@EnumSource(StoreKind.class)
class PublishApiTest {
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

  private static ApiClient http() {
    return server.http();
  }

  private static Map<String, Object> event(
      String eventType, Map<String, Object> resource, Object payload) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("eventType", eventType);
    if (resource != null) {
      body.put("resource", resource);
    }
    body.put("payload", payload);
    return body;
  }

  private static Map<String, Object> idle(Object userId) {
    return Map.of(
        "userId",
        userId,
        "ehubSessionId",
        215,
        "ehubSessionIdRev",
        "215",
        "payload",
        Map.of("interactionId", 1030, "interactionIdRev", "1030"));
  }

  @Test
  void a_valid_event_is_accepted_and_logged_with_its_correlation_id() throws Exception {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    long mark = EventsSeen.mark(server.server());
    Map<String, Object> body =
        event(
            "outreach.status",
            Map.of("type", "campaigns", "id", "c1"),
            StreamingFixture.outreachStatus(10));
    body.put("correlationId", "def61349-6f49-4019-918f-2cd2fbfd4e42");

    Response response = http().post("/api/v1/events", org.adminToken(), body);

    assertThat(response.status()).as(response.toString()).isEqualTo(202);
    List<String> fields = new ArrayList<>();
    response.json().fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("eventId");
    String eventId = response.json().get("eventId").asText();
    assertThat(eventId).matches("\\d{13}-\\d+");
    List<Event> events = EventsSeen.after(server.server(), org.orgId(), mark);
    assertThat(events).hasSize(1);
    Event logged = events.getFirst();
    assertThat(logged.id()).isEqualTo(eventId);
    assertThat(logged.type()).isEqualTo("outreach.status");
    assertThat(logged.resourceType()).isEqualTo("campaigns");
    assertThat(logged.resourceId()).isEqualTo("c1");
    assertThat(logged.correlationId()).isEqualTo("def61349-6f49-4019-918f-2cd2fbfd4e42");
    assertThat(EventsSeen.payload(logged))
        .isEqualTo(ApiClient.JSON.valueToTree(StreamingFixture.outreachStatus(10)));
  }

  @Test
  void without_a_correlation_id_the_event_takes_the_requests_x_correlation_id() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    long mark = EventsSeen.mark(server.server());
    String body =
        StreamingFixture.json(
            event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), idle("u1")));

    Response response =
        http()
            .send(
                http()
                    .request("/api/v1/events")
                    .header("Authorization", "Bearer " + org.adminToken())
                    .header("Content-Type", "application/json")
                    .header("X-Correlation-Id", "corr-publish-1")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));

    assertThat(response.status()).as(response.toString()).isEqualTo(202);
    Event logged = EventsSeen.after(server.server(), org.orgId(), mark).getFirst();
    assertThat(logged.id()).isEqualTo(response.json().get("eventId").asText());
    assertThat(logged.correlationId()).isEqualTo("corr-publish-1");
  }

  /**
   * A correlationId is 1-200 characters, as an X-Correlation-Id is taken. Before, a blank one and
   * one of thousands of characters were stored with the event and sent to every subscriber.
   */
  @Test
  void a_blank_or_overlong_correlation_id_is_a_400_naming_it() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    for (String correlationId : List.of("", "  ", "c".repeat(201))) {
      Map<String, Object> body =
          event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), idle("u1"));
      body.put("correlationId", correlationId);
      Response refused = http().post("/api/v1/events", org.adminToken(), body);
      assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
      assertThat(scope(refused)).isEqualTo("correlationId");
    }
  }

  @Test
  void an_unknown_event_type_is_a_400_naming_event_type() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    Response response =
        http()
            .post(
                "/api/v1/events",
                org.adminToken(),
                event("outreach.teleport", Map.of("type", "campaigns", "id", "c1"), Map.of()));
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(scope(response)).isEqualTo("eventType");
  }

  @Test
  void a_payload_breaking_the_schema_is_a_400_naming_the_field() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    long mark = EventsSeen.mark(server.server());
    Response wrongType =
        http()
            .post(
                "/api/v1/events",
                org.adminToken(),
                event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), idle(5)));
    assertThat(wrongType.status()).as(wrongType.toString()).isEqualTo(400);
    assertThat(scope(wrongType)).isEqualTo("payload.userId");

    Map<String, Object> nested = new LinkedHashMap<>(idle("u1"));
    nested.put("payload", Map.of("interactionId", "not a number"));
    Response nestedWrong =
        http()
            .post(
                "/api/v1/events",
                org.adminToken(),
                event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), nested));
    assertThat(nestedWrong.status()).as(nestedWrong.toString()).isEqualTo(400);
    assertThat(scope(nestedWrong)).isEqualTo("payload.payload.interactionId");

    Response notAnObject =
        http()
            .post(
                "/api/v1/events",
                org.adminToken(),
                event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), List.of(1)));
    assertThat(notAnObject.status()).as(notAnObject.toString()).isEqualTo(400);
    assertThat(scope(notAnObject)).isEqualTo("payload");

    assertThat(EventsSeen.after(server.server(), org.orgId(), mark)).as("nothing logged").isEmpty();
  }

  @Test
  void a_missing_or_malformed_resource_is_a_400_naming_it() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    assertThat(refusal(org, null)).isEqualTo("resource");
    assertThat(refusal(org, Map.of("type", "campaigns"))).isEqualTo("resource.id");
    // The id becomes an audience key (user:<id>), and keys are stored separated by spaces.
    assertThat(refusal(org, Map.of("type", "users", "id", "a   b"))).isEqualTo("resource.id");
    // A field the resource does not have, as anywhere in a body (before, dropped silently).
    assertThat(refusal(org, Map.of("type", "users", "id", "u1", "name", "x")))
        .isEqualTo("resource.name");
  }

  /** Publishes an outreach status on {@code resource}: a 400, whose scope it answers. */
  private String refusal(ApiClient.Org org, Map<String, Object> resource) {
    Response refused =
        http()
            .post(
                "/api/v1/events",
                org.adminToken(),
                event("outreach.status", resource, StreamingFixture.outreachStatus(1)));
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    return scope(refused);
  }

  @Test
  void a_token_without_scope_publish_is_a_403() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    Response user =
        http()
            .post(
                "/api/v1/users",
                org.adminToken(),
                Map.of("username", "a1", "password", "pw-a1", "roles", List.of("agent")));
    assertThat(user.status()).as(user.toString()).isEqualTo(201);
    String agent = http().userToken(org.orgId(), "a1", "pw-a1");
    JsonNode userId = user.json().get("id");

    Response response =
        http()
            .post(
                "/api/v1/events",
                agent,
                event(
                    "engagementCenter.Idle",
                    Map.of("type", "users", "id", userId.asText()),
                    idle(userId.asText())));
    assertThat(response.status()).as(response.toString()).isEqualTo(403);
  }

  @Test
  void a_malformed_body_an_unknown_field_and_a_missing_token_are_refused_with_their_cause() {
    ApiClient.Org org = http().createOrganization("publish-" + ORGS.incrementAndGet());
    Response malformed = http().post("/api/v1/events", org.adminToken(), "{\"eventType\": ");
    assertThat(malformed.status()).as(malformed.toString()).isEqualTo(400);
    assertThat(scope(malformed)).isEqualTo("body");

    Map<String, Object> withExtra =
        event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), idle("u1"));
    withExtra.put("priority", 1);
    Response unknown = http().post("/api/v1/events", org.adminToken(), withExtra);
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
    assertThat(scope(unknown)).isEqualTo("priority");

    Response anonymous =
        http()
            .post(
                "/api/v1/events",
                null,
                event("engagementCenter.Idle", Map.of("type", "users", "id", "u1"), idle("u1")));
    assertThat(anonymous.status()).as(anonymous.toString()).isEqualTo(401);
  }
}
