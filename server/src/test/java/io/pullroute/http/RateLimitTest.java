package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-principal rate limit: 429 with Retry-After, per principal, refilled with time. */
class RateLimitTest {

  @Test
  void a_principal_over_its_rate_gets_429_with_retry_after_and_others_do_not() {
    try (TestServer server = TestServer.start(StoreKind.H2, config -> config.withRateLimit(3))) {
      ApiClient http = server.http();
      ApiClient.Org first = http.createOrganization("limited");
      ApiClient.Org second = http.createOrganization("unlimited");

      Response limited = null;
      // The clock does not move, so no token is refilled: the fourth request is over the rate.
      for (int i = 0; i < 4; i++) {
        limited = http.get("/api/v1/me", first.adminToken());
      }
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.json().get("code").asInt()).isEqualTo(429);
      assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 60L);

      assertThat(http.get("/api/v1/me", second.adminToken()).status()).isEqualTo(200);

      server.clock().advance(Duration.ofSeconds(1));
      assertThat(http.get("/api/v1/me", first.adminToken()).status()).isEqualTo(200);
    }
  }
}
