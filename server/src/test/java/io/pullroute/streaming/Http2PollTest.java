package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Long polls over HTTP/2 in clear text (h2c, by prior knowledge): many wait on one connection, each
 * answered with its own events. Before, the server spoke HTTP/1.1 only, where every parked poll
 * holds a connection (and a file) of its own.
 */
class Http2PollTest {
  private static final int POLLS = 5;

  static TestServer server;
  static HttpClient h2;

  @BeforeAll
  static void start() throws Exception {
    // Polls that wait 30 s: an answer within 10 s comes from an event.
    server = TestServer.start(StoreKind.H2, config -> config.withPollWait(Duration.ofSeconds(30)));
    h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
    h2.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (h2 != null) {
      h2.stop();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void polls_parked_on_one_http2_connection_are_each_answered_with_their_events() throws Exception {
    String[] agents = {"a1", "a2", "a3", "a4", "a5"};
    StreamingFixture org = new StreamingFixture(server, "h2c-polls", agents);
    List<String> sessions = new ArrayList<>();
    for (String agent : agents) {
      sessions.add(org.session(org.token(agent), 3));
    }
    int waitingBefore = server.server().hub().waiting();
    // One request first, so that the polls find the connection open rather than each opening one.
    assertThat(h2.GET(org.http().base() + "/health").getStatus()).isEqualTo(200);

    List<CompletableFuture<ContentResponse>> polls = new ArrayList<>();
    for (int i = 0; i < POLLS; i++) {
      String token = org.token(agents[i]);
      String session = sessions.get(i);
      polls.add(
          new CompletableResponseListener(
                  h2.newRequest(org.http().base() + org.base(3) + "/events?maxEvents=10")
                      .headers(
                          headers ->
                              headers
                                  .put("Authorization", "Bearer " + token)
                                  .put("x-api-key", org.apiKey)
                                  .put(StreamingRoutes.SESSION_HEADER, session))
                      .timeout(60, TimeUnit.SECONDS))
              .send());
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.server().hub().waiting() >= waitingBefore + POLLS);
    assertThat(polls).noneMatch(CompletableFuture::isDone);
    assertThat(connections()).as("the polls share one connection").isEqualTo(1);

    List<String> published = new ArrayList<>();
    for (String agent : agents) {
      published.add(org.publish("outreach.status", "users", org.id(agent), Map.of("agent", agent)));
    }

    for (int i = 0; i < POLLS; i++) {
      ContentResponse answer = polls.get(i).get(10, TimeUnit.SECONDS);
      assertThat(answer.getVersion()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(answer.getStatus()).as(answer.getContentAsString()).isEqualTo(200);
      List<JsonNode> events = list(ApiClient.JSON.readTree(answer.getContent()).get("events"));
      assertThat(StreamingFixture.ids(events)).containsExactly(published.get(i));
    }
  }

  private static int connections() {
    return h2.getDestinations().stream()
        .map(destination -> (AbstractConnectionPool) destination.getConnectionPool())
        .mapToInt(AbstractConnectionPool::getConnectionCount)
        .sum();
  }
}
