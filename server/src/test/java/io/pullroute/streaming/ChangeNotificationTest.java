package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code changeNotification.user} and {@code .team}: the administration API announces its changes
 * to sessions subscribed to them, in the same transaction as the change.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class ChangeNotificationTest {
  @Parameter StoreKind store;
  static TestServer server;
  static int orgs;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store, config -> config.withPollWait(Duration.ofMillis(200)));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static Response via(
      ApiClient http, Org org, String method, String path, String session, String body) {
    HttpRequest.Builder request =
        http.request("/via/v3/organizations/" + org.orgId() + "/streaming" + path)
            .header("Authorization", "Bearer " + org.adminToken())
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

  /** Polls until {@code count} events came or a poll returns none. */
  private static List<JsonNode> drain(ApiClient http, Org org, String session) {
    List<JsonNode> events = new ArrayList<>();
    while (true) {
      JsonNode batch = via(http, org, "GET", "/events?maxEvents=200", session, null).json();
      if (batch.get("totalItems").asInt() == 0) {
        return events;
      }
      batch.get("events").forEach(events::add);
    }
  }

  @Test
  void user_and_team_changes_reach_a_session_subscribed_to_change_notifications() throws Exception {
    ApiClient http = server.http();
    Org org = http.createOrganization("changes-" + ++orgs);
    String session =
        via(http, org, "POST", "/session", null, "{}").json().get("sessionId").asText();
    Response subscribed =
        via(
            http,
            org,
            "POST",
            "/subscriptions",
            session,
            "{\"filterCriteria\":{\"catalogType\":\"changeNotification\",\"catalogTypeEvents\":"
                + "[\"all\"],\"resources\":{\"resourceType\":\"*\",\"resourceIds\":[]}}}");
    assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(200);

    String user =
        http.post(
                "/api/v1/users",
                org.adminToken(),
                Map.of("username", "zoe", "firstName", "Zoe", "roles", List.of("agent")))
            .json()
            .get("id")
            .asText();
    http.patch("/api/v1/users/" + user, org.adminToken(), Map.of("lastName", "Z"));
    String team =
        http.post(
                "/api/v1/teams",
                org.adminToken(),
                Map.of("name", "Night", "members", List.of(user)))
            .json()
            .get("id")
            .asText();
    http.delete("/api/v1/teams/" + team, org.adminToken());
    http.post("/api/v1/agent-groups", org.adminToken(), Map.of("name", "Not announced"));

    List<JsonNode> events = drain(http, org, session);
    assertThat(events.stream().map(e -> e.get("eventType").asText()))
        .containsExactly(
            "changeNotification.user",
            "changeNotification.user",
            "changeNotification.team",
            "changeNotification.team");
    assertThat(events.getFirst().get("kind").asText()).isEqualTo("via#changeNotificationEvent");
    List<JsonNode> payloads = new ArrayList<>();
    for (JsonNode event : events) {
      payloads.add(ApiClient.JSON.readTree(event.get("payload").asText()));
    }
    assertThat(payloads.get(0).get("id").asText()).isEqualTo(user);
    assertThat(payloads.get(0).get("action").asText()).isEqualTo("created");
    assertThat(payloads.get(0).get("username").asText()).isEqualTo("zoe");
    assertThat(payloads.get(0).has("password")).isFalse();
    assertThat(payloads.get(1).get("action").asText()).isEqualTo("updated");
    assertThat(payloads.get(1).get("lastName").asText()).isEqualTo("Z");
    assertThat(payloads.get(2).get("members").get(0).asText()).isEqualTo(user);
    assertThat(payloads.get(3).get("action").asText()).isEqualTo("deleted");
  }

  @Test
  void a_refused_change_announces_nothing() {
    ApiClient http = server.http();
    Org org = http.createOrganization("changes-" + ++orgs);
    String session =
        via(http, org, "POST", "/session", null, "{}").json().get("sessionId").asText();
    via(
        http,
        org,
        "POST",
        "/subscriptions",
        session,
        "{\"filterCriteria\":{\"catalogType\":\"changeNotification\",\"catalogTypeEvents\":"
            + "[\"user\"],\"resources\":{\"resourceType\":\"users\",\"resourceIds\":[\"*\"]}}}");
    http.post("/api/v1/users", org.adminToken(), Map.of("username", "sam"));
    drain(http, org, session);

    Response duplicate = http.post("/api/v1/users", org.adminToken(), Map.of("username", "sam"));
    assertThat(duplicate.status()).isEqualTo(409);
    assertThat(drain(http, org, session)).isEmpty();
  }
}
