package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What every route shares: error bodies, limits, health, metrics and the OpenAPI document. */
class HttpBasicsTest {
  private static TestServer server;
  private static ApiClient http;
  private static Org org;

  @BeforeAll
  static void start() {
    server = TestServer.start(StoreKind.H2, config -> config.withRateLimit(1000));
    http = server.http();
    org = http.createOrganization("basics");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void the_listening_socket_queues_as_many_connections_as_the_kernel_allows() throws Exception {
    Path somaxconn = Path.of("/proc/sys/net/core/somaxconn");
    assumeTrue(Files.isReadable(somaxconn), "Linux only");
    Process ss;
    try {
      ss =
          new ProcessBuilder("ss", "-Hltn", "sport = :" + server.server().port())
              .redirectErrorStream(true)
              .start();
    } catch (IOException notInstalled) {
      assumeTrue(false, "ss (iproute2) is not installed");
      return;
    }
    String listening = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ss.waitFor()).isZero();

    // For a listening socket, ss shows the accept queue's size as Send-Q (the third column).
    String[] columns = listening.strip().split("\\s+");
    // Read by lines: Files.readString gets only the first byte of a /proc/sys file.
    int kernelLimit = Integer.parseInt(Files.readAllLines(somaxconn).getFirst().strip());
    assertThat(Integer.parseInt(columns[2]))
        .as(listening)
        .isEqualTo(Math.min(HttpServer.ACCEPT_QUEUE, kernelLimit));
  }

  @Test
  void malformed_json_is_a_400_error_response_naming_the_body() {
    Response response = http.post("/api/v1/lists", org.adminToken(), "{\"name\": ");
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("code").asInt()).isEqualTo(400);
    assertThat(response.json().at("/errors/0/scope").asText()).isEqualTo("body");
    assertThat(response.json().get("message").asText()).startsWith("malformed JSON");
  }

  @Test
  void a_json_value_that_is_not_an_object_is_a_400() {
    Response response = http.post("/api/v1/lists", org.adminToken(), "[1,2]");
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().at("/errors/0/scope").asText()).isEqualTo("body");
  }

  @Test
  void a_body_over_one_mebibyte_is_a_413_with_or_without_content_length() {
    String big = "{\"name\":\"" + "x".repeat(1024 * 1024) + "\"}";
    Response declared = http.post("/api/v1/lists", org.adminToken(), big);
    assertThat(declared.status()).isEqualTo(413);
    assertThat(declared.json().get("code").asInt()).isEqualTo(413);

    byte[] bytes = big.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Response chunked =
        http.send(
            http.request("/api/v1/lists")
                .header("Authorization", "Bearer " + org.adminToken())
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(bytes))));
    assertThat(chunked.status()).isEqualTo(413);
  }

  @Test
  void an_unknown_route_is_a_404_error_response() {
    Response response = http.get("/api/v1/no-such-thing", null);
    assertThat(response.status()).isEqualTo(404);
    assertThat(response.json().get("code").asInt()).isEqualTo(404);
    assertThat(response.json().at("/errors/0/reason").asText()).isEqualTo("notFound");
  }

  @Test
  void health_is_up_and_needs_no_token() {
    Response response = http.get("/health", null);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json()).isEqualTo(ApiClient.JSON.valueToTree(Map.of("status", "UP")));
  }

  @Test
  void metrics_are_prometheus_text_with_http_timers() {
    http.get("/api/v1/me", org.adminToken());
    Response response = http.get("/metrics", null);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("Content-Type")).startsWith("text/plain");
    assertThat(response.body())
        .contains("http_server_requests_seconds_count{method=\"GET\",route=\"/api/v1/me\"");
  }

  @Test
  void openapi_describes_every_registered_route() {
    JsonNode document = http.get("/openapi.json", null).json();
    assertThat(document.get("openapi").asText()).startsWith("3.");
    Set<String> described = new HashSet<>();
    document
        .get("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        method -> described.add(method.toUpperCase() + " " + path.getKey())));
    List<String> registered = new ArrayList<>(server.server().http().registeredRoutes());
    assertThat(registered).isNotEmpty();
    assertThat(described).containsAll(registered);
  }

  @Test
  void a_correlation_id_is_echoed_or_made() {
    Response given = http.send(http.request("/health").header("X-Correlation-Id", "abc-123").GET());
    assertThat(given.header("X-Correlation-Id")).isEqualTo("abc-123");
    assertThat(http.get("/health", null).header("X-Correlation-Id")).isNotBlank();
  }

  @Test
  void via_paths_need_the_organizations_api_key() {
    String path = "/via/v3/organizations/basics/streaming/session";
    Response without =
        http.send(http.request(path).header("Authorization", "Bearer " + org.adminToken()).GET());
    // The route may not exist yet; the key is checked only on routes that do. Either way no data.
    assertThat(without.status()).isIn(401, 404);
  }
}
