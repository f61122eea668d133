package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.config.Config;
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

  /**
   * Every answer to a body over the limit reaches the client, on the framework's routes and on the
   * fast ones: the server reads and drops the rest of the body before the connection closes.
   * Before, it closed with the body unread and the kernel reset the connection, which could take
   * the answer with it: 21 of 300 of these POSTs (and 5 of 150 to a fast route) read no answer at
   * all ("header parser received no bytes", once in a run of the README's {@code ./mvnw verify}).
   */
  @Test
  void every_client_sending_a_body_over_the_limit_reads_its_413() {
    String big = "{\"name\":\"" + "x".repeat(1024 * 1024) + "\"}";
    String token = org.adminToken();
    for (int i = 0; i < 100; i++) {
      for (String route : List.of("/api/v1/lists", "/api/v1/events")) {
        assertThat(http.post(route, token, big).status()).as("%s, try %d", route, i).isEqualTo(413);
      }
    }
  }

  /**
   * A client that sends its body only once told to ({@code Expect: 100-continue}) is told 413 at
   * once, and not asked for a body the answer refuses.
   */
  @Test
  void a_client_waiting_to_send_a_body_over_the_limit_is_told_413_without_sending_it()
      throws IOException {
    for (String route : List.of("/api/v1/lists", "/api/v1/events")) {
      String answer =
          raw(
              "POST "
                  + route
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + org.adminToken()
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + (2 * Config.MAX_BODY_BYTES)
                  + "\r\nExpect: 100-continue\r\n\r\n");
      assertThat(answer).as(route).startsWith("HTTP/1.1 413 ").doesNotContain("100 Continue");
    }
  }

  /**
   * The token endpoint's form is held to the same 1 MiB, sent chunked too: a 413 with the body's
   * tooLarge error, as on every route.
   */
  @Test
  void a_token_form_over_one_mebibyte_sent_chunked_is_a_413() {
    byte[] form =
        ("grant_type=client_credentials&client_id=x&scope=" + "x".repeat(1024 * 1024))
            .getBytes(StandardCharsets.UTF_8);
    Response chunked =
        http.send(
            http.request("/tokenservice/oauth2/access_token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(form))));
    assertThat(chunked.status()).as(chunked.toString()).isEqualTo(413);
    assertThat(chunked.json().get("code").asInt()).isEqualTo(413);
    assertThat(chunked.json().at("/errors/0/scope").asText()).isEqualTo("body");
    assertThat(chunked.json().at("/errors/0/reason").asText()).isEqualTo("tooLarge");
  }

  @Test
  void an_unknown_route_is_a_404_error_response() {
    Response response = http.get("/api/v1/no-such-thing", null);
    assertThat(response.status()).isEqualTo(404);
    assertThat(response.json().get("code").asInt()).isEqualTo(404);
    assertThat(response.json().at("/errors/0/reason").asText()).isEqualTo("notFound");
  }

  /**
   * A path served with other methods is a 405 that names them, as spec 003 lists for every
   * endpoint; on the fast path's routes too. Before, a 404 "no route".
   */
  @Test
  void a_method_a_path_is_not_served_with_is_a_405_naming_those_it_is() {
    Response users = http.put("/api/v1/users", org.adminToken(), "{}");
    assertThat(users.status()).as(users.toString()).isEqualTo(405);
    assertThat(users.raw().headers().firstValue("Allow")).hasValue("GET, POST");
    assertThat(users.json().at("/errors/0/scope").asText()).isEqualTo("method");

    Response events =
        http.post("/via/v3/organizations/" + org.orgId() + "/streaming/events", null, "{}");
    assertThat(events.status()).as(events.toString()).isEqualTo(405);
    assertThat(events.raw().headers().firstValue("Allow")).hasValue("GET");
  }

  /**
   * No route is served with HEAD: a 405 (404 for an unknown path). Before, HEAD on a GET route
   * answered 200 without running the route or checking the token.
   */
  @Test
  void head_is_a_405_not_a_200_without_a_token_check() {
    Response head =
        http.send(
            http.request("/api/v1/users/nobody")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(head.status()).isEqualTo(405);
    assertThat(head.raw().headers().firstValue("Allow")).hasValue("DELETE, GET, PATCH");

    Response unknown =
        http.send(
            http.request("/api/v1/no-such-thing")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(unknown.status()).isEqualTo(404);
  }

  /**
   * A query string that is not valid percent-encoding is a 400 on the fast path. Before, a 500.
   * (Sent by hand: java.net.URI refuses to make such a request.)
   */
  @Test
  void a_badly_encoded_query_is_a_400_naming_the_query() throws IOException {
    String answer =
        raw(
            "GET /via/v3/organizations/"
                + org.orgId()
                + "/streaming/events?maxEvents=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer "
                + org.adminToken()
                + "\r\nx-api-key: "
                + org.apiKey()
                + "\r\nvia-client-sessionid: any\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 400 ").contains("\"scope\":\"query\"");

    // Checked first on every fast route, whatever parameters the route reads: before, a publish
    // with ?x=%zz answered 202 and published, and a poll or a workbin call ignored it.
    String publish =
        "{\"eventType\":\"engagementCenter.Idle\",\"resource\":{\"type\":\"users\",\"id\":\"u1\"},"
            + "\"payload\":{\"userId\":\"u1\",\"payload\":{\"interactionId\":0,"
            + "\"interactionIdRev\":\"0\"}}}";
    for (String request :
        List.of(
            "POST /api/v1/events?x=%zz HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + publish.length()
                + "\r\n",
            "GET /via/v3/organizations/"
                + org.orgId()
                + "/streaming/events?x=%zz HTTP/1.1\r\nx-api-key: "
                + org.apiKey()
                + "\r\nvia-client-sessionid: any\r\n",
            "POST /api/v2/me/workbins/x?agentGroup=%zz HTTP/1.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2\r\n")) {
      String body = request.startsWith("POST /api/v1/events") ? publish : "{}";
      assertThat(
              raw(
                  request
                      + "Host: 127.0.0.1\r\nAuthorization: Bearer "
                      + org.adminToken()
                      + "\r\nConnection: close\r\n\r\n"
                      + (request.startsWith("GET") ? "" : body)))
          .as(request)
          .startsWith("HTTP/1.1 400 ")
          .contains("\"scope\":\"query\"", "the query parameter");
    }

    // The framework's routes too: its parser dropped the parameter ("agentGroup is required").
    assertThat(
            raw(
                "GET /api/v1/users?x=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + org.adminToken()
                    + "\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 400 ")
        .contains("the query parameter x is not valid percent-encoding");

    // Escapes of bytes that are not UTF-8 too: the framework read %ff as U+FFFD and went on, and
    // the fast path refused it only on a route that read a query parameter.
    for (String path : List.of("/api/v1/users?x=%ff", "/api/v1/events?x=%c3%28")) {
      assertThat(
              raw(
                  "POST "
                      + path
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + org.adminToken()
                      + "\r\nContent-Type: application/json\r\nContent-Length: "
                      + publish.length()
                      + "\r\nConnection: close\r\n\r\n"
                      + publish))
          .as(path)
          .startsWith("HTTP/1.1 400 ")
          .contains("\"scope\":\"query\"", "the query parameter x is not valid");
    }
  }

  /**
   * A client on a call of signed-in users is a 403 before its body is read. Before, a bad body came
   * first (400), telling a client how to shape a call it may not make.
   */
  @Test
  void a_client_on_a_users_call_is_a_403_whatever_its_body() {
    Response state = http.put("/api/v1/me/state", org.adminToken(), Map.of("state", "x"));
    assertThat(state.status()).as(state.toString()).isEqualTo(403);
    Response workbin = http.post("/api/v2/me/workbins/x", org.adminToken(), "{}");
    assertThat(workbin.status()).as(workbin.toString()).isEqualTo(403);
  }

  /** What Jetty refuses before any route runs is answered with the same JSON error body. */
  @Test
  void what_jetty_refuses_before_the_routes_is_a_json_error_response() throws IOException {
    assertThat(raw("GET /api/v1/users/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 400 ")
        .contains("Content-Type: application/json", "\"code\":400", "X-Correlation-Id");
    // Every method: Jetty writes an error body for GET, POST and HEAD only, and answered a PUT,
    // PATCH or DELETE with an empty 400.
    for (String method : List.of("PUT", "PATCH", "DELETE")) {
      assertThat(
              raw(
                  method
                      + " /api/v1/users/%ff HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"))
          .as(method)
          .startsWith("HTTP/1.1 400 ")
          .contains("Content-Type: application/json", "\"code\":400", "X-Correlation-Id");
    }
    assertThat(
            raw(
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                    + "a".repeat(20_000)
                    + "\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 431 ")
        .contains("\"code\":431");
    for (String malformed : List.of("null", "[1,2]", "[{\"channel\":1}]", "{")) {
      Response bayeux = http.post("/api/v2/notifications", null, malformed);
      assertThat(bayeux.status()).as(malformed + ": " + bayeux).isEqualTo(400);
      assertThat(bayeux.header("Content-Type")).startsWith("application/json");
      assertThat(bayeux.json().get("code").asInt()).isEqualTo(400);
    }
    Response extNotAnObject =
        http.post(
            "/api/v2/notifications",
            null,
            "[{\"channel\":\"/meta/handshake\",\"version\":\"1.0\","
                + "\"supportedConnectionTypes\":[\"long-polling\"],\"ext\":\"x\"}]");
    assertThat(extNotAnObject.status()).as(extNotAnObject.toString()).isEqualTo(200);
    assertThat(extNotAnObject.json().get(0).get("successful").asBoolean()).isFalse();
  }

  /**
   * A Bayeux message in a charset the server does not know is a 415. Before, CometD's transport
   * failed reading it and the request was never answered.
   */
  @Test
  void a_bayeux_message_in_an_unknown_charset_is_answered_415() throws IOException {
    String handshake =
        "[{\"channel\":\"/meta/handshake\",\"version\":\"1.0\","
            + "\"supportedConnectionTypes\":[\"long-polling\"]}]";
    assertThat(
            raw(
                "POST /api/v2/notifications HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json; charset=nope\r\nContent-Length: "
                    + handshake.length()
                    + "\r\nConnection: close\r\n\r\n"
                    + handshake))
        .startsWith("HTTP/1.1 415 ")
        .contains("Content-Type: application/json", "\"code\":415");
  }

  /** Sends {@code request} as it is (java.net.URI refuses some of these); answers the reply. */
  private static String raw(String request) throws IOException {
    try (var socket = new java.net.Socket("127.0.0.1", server.server().port())) {
      socket.setSoTimeout(20_000); // an answer that never comes fails the test
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * A body nested deeper than 64 levels is a 400. Before, up to 1,000 levels were taken, and
   * writing the events of a customer nested 998 deep failed (a 500); one nested 997 deep was stored
   * and then broke the answers that carried it.
   */
  @Test
  void a_body_nested_too_deep_is_a_400_that_says_so() {
    String deep = "{\"name\":" + "[".repeat(100) + "]".repeat(100) + "}";
    Response response = http.post("/api/v1/lists", org.adminToken(), deep);
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("message").asText())
        .isEqualTo("the body nests deeper than 64 levels");

    String longNumber = "{\"name\":" + "9".repeat(1500) + "}";
    Response number = http.post("/api/v1/lists", org.adminToken(), longNumber);
    assertThat(number.status()).as(number.toString()).isEqualTo(400);
    assertThat(number.json().get("message").asText())
        .startsWith("the body is over a limit: Number value length (1500)");
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
        http.send(
            http.request(path)
                .header("Authorization", "Bearer " + org.adminToken())
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(without.status()).as(without.toString()).isEqualTo(401);
  }
}
