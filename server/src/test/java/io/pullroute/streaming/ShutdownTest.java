package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stopping a server answers its parked polls with no events, and the stop succeeds. Before, HTTP's
 * graceful stop waited 2 s for them, failed, cut their connections and skipped what came after it
 * (the cursors' last write, closing the store).
 */
class ShutdownTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void stopping_answers_a_parked_poll_with_no_events(StoreKind store) throws Exception {
    // The polls wait 30 s and the answer is awaited 10 s: it can only come from the stop.
    TestServer server =
        TestServer.start(store, config -> config.withPollWait(Duration.ofSeconds(30)));
    CompletableFuture<Response> parked;
    try {
      StreamingFixture org = new StreamingFixture(server, "stopping", "a1");
      String session = org.session(org.token("a1"), 3);
      parked = org.pollAsync(org.token("a1"), 3, session, 10);
      await().atMost(Duration.ofSeconds(10)).until(() -> server.server().hub().waiting() > 0);
    } finally {
      server.close();
    }
    Response answer = parked.get(10, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(answer.json().get("totalItems").asInt()).isZero();
  }
}
