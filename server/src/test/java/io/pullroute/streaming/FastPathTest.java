package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The long poll is served by Jetty's handler in front of Javalin (http.FastPath): the same pipeline
 * as every other route — correlation id, authentication, API key, error bodies, timers — without
 * Javalin. The streaming behaviour itself is covered by the other tests of this package, which all
 * poll through it.
 */
class FastPathTest {
  static TestServer server;
  static StreamingFixture fixture;

  @BeforeAll
  static void start() {
    server = TestServer.start(StoreKind.H2, config -> config.withPollWait(Duration.ofMillis(200)));
    fixture = new StreamingFixture(server, "fast-path", "a1");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A v3 poll of a1's {@code session} at {@code path} under the streaming base. */
  private static HttpRequest.Builder poll(String path, String session) {
    return fixture.via("GET", fixture.base(3) + path, fixture.token("a1"), session, null);
  }

  /** A v3 poll with no headers at all. */
  private static HttpRequest.Builder bare() {
    return server.http().request(fixture.base(3) + "/events");
  }

  @Test
  void a_poll_keeps_the_callers_correlation_id_and_answers_json() {
    String session = fixture.session(fixture.token("a1"), 3);
    Response answer =
        server.http().send(poll("/events", session).header("X-Correlation-Id", "poll-corr-1"));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.header("X-Correlation-Id")).isEqualTo("poll-corr-1");
    assertThat(answer.header("Content-Type")).startsWith("application/json");
    assertThat(answer.json().get("kind").asText()).isEqualTo("via#streamingEventCollection");
  }

  @Test
  void a_poll_without_a_correlation_id_gets_a_new_one() {
    String session = fixture.session(fixture.token("a1"), 2);
    Response answer = fixture.poll(fixture.token("a1"), 2, session, null);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.header("X-Correlation-Id")).isNotBlank();
  }

  @Test
  void a_trailing_slash_is_the_same_route() {
    String session = fixture.session(fixture.token("a1"), 3);
    Response answer = server.http().send(poll("/events/", session));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
  }

  @Test
  void without_a_token_the_poll_is_401_with_the_error_body_and_challenge() {
    Response answer = server.http().send(bare().header("x-api-key", fixture.apiKey));
    assertThat(answer.status()).isEqualTo(401);
    assertThat(answer.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(answer.json().get("code").asInt()).isEqualTo(401);
    assertThat(answer.json().at("/errors/0/reason").asText()).isNotBlank();
  }

  @Test
  void a_wrong_api_key_is_401_and_a_bad_max_events_is_400_naming_it() {
    String session = fixture.session(fixture.token("a1"), 3);
    Response wrongKey =
        server
            .http()
            .send(
                bare()
                    .header("Authorization", "Bearer " + fixture.token("a1"))
                    .header("x-api-key", "not-the-key"));
    assertThat(wrongKey.status()).isEqualTo(401);
    Response badMax = fixture.poll(fixture.token("a1"), 3, session, 0);
    assertThat(badMax.status()).isEqualTo(400);
    assertThat(badMax.body()).contains("maxEvents");
  }

  @Test
  void polls_are_timed_under_their_route_in_the_metrics() {
    String session = fixture.session(fixture.token("a1"), 3);
    assertThat(fixture.poll(fixture.token("a1"), 3, session, 5).status()).isEqualTo(200);
    String metrics = server.http().get("/metrics", null).body();
    assertThat(metrics)
        .contains("route=\"/via/v3/organizations/{orgId}/streaming/events\",status=\"200\"");
  }
}
