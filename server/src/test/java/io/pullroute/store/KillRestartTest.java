package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN.md §5.4: a server process killed with SIGKILL and started again on the same embedded store
 * has lost no committed state, no session that had not expired and no unacknowledged event. The
 * server runs as a real separate process, started as the launcher starts it.
 */
class KillRestartTest {
  private static final Pattern READY =
      Pattern.compile("^pullroute ready on (http://127\\.0\\.0\\.1:\\d+)$");

  private final List<Process> processes = new ArrayList<>();

  /** Ends the servers still running, and waits for them, so that their data directory can go. */
  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (Process process : processes) {
      kill(process);
    }
  }

  /** Starts {@code pullroute serve} in a new JVM; returns its base URL once it says it is ready. */
  private String start(Path data) throws Exception {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.pullroute.Main",
                "serve",
                "--port",
                "0",
                "--data",
                data.toString(),
                "--operator-secret",
                "kill-test-secret",
                "--poll-wait",
                "1s")
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    processes.add(process);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  Matcher matcher = READY.matcher(line);
                  if (matcher.matches()) {
                    return matcher.group(1);
                  }
                }
                throw new IllegalStateException("the server exited before it was ready");
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    return ready.get(120, TimeUnit.SECONDS);
  }

  private static void kill(Process process) throws InterruptedException {
    process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
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

  @Test
  void a_killed_server_restarts_with_its_state_sessions_and_unacknowledged_events(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path data) throws Exception {
    ApiClient before = new ApiClient(start(data));
    String operator = before.clientToken("operator", "kill-test-secret");
    Response created = before.post("/api/v1/organizations", operator, Map.of("orgId", "killed"));
    JsonNode body = created.json();
    Org org =
        new Org(
            "killed",
            body.get("apiKey").asText(),
            before.clientToken(
                body.at("/adminClient/clientId").asText(),
                body.at("/adminClient/clientSecret").asText()));

    String session =
        via(before, org, "POST", "/session", null, "{\"requireAcknowledgement\":true}")
            .json()
            .get("sessionId")
            .asText();
    via(
        before,
        org,
        "POST",
        "/subscriptions",
        session,
        "{\"filterCriteria\":{\"catalogType\":\"changeNotification\",\"catalogTypeEvents\":"
            + "[\"all\"],\"resources\":{\"resourceType\":\"*\",\"resourceIds\":[]}}}");
    String listId =
        before
            .post("/api/v1/lists", org.adminToken(), Map.of("name", "Survives"))
            .json()
            .get("id")
            .asText();
    for (String name : List.of("first", "second")) {
      assertThat(before.post("/api/v1/users", org.adminToken(), Map.of("username", name)).status())
          .isEqualTo(201);
    }
    JsonNode delivered = via(before, org, "GET", "/events?maxEvents=1", session, null).json();
    assertThat(delivered.get("totalItems").asInt()).isEqualTo(1);
    String firstEvent = delivered.at("/events/0/eventId").asText();

    kill(processes.getLast());
    ApiClient after = new ApiClient(start(data));

    assertThat(after.get("/api/v1/lists/" + listId, org.adminToken()).status())
        .as("committed state and the token survive")
        .isEqualTo(200);
    assertThat(after.get("/api/v1/users", org.adminToken()).json().findValuesAsText("username"))
        .containsExactly("first", "second");
    JsonNode again = via(after, org, "GET", "/events?maxEvents=5", session, null).json();
    assertThat(again.get("events").findValuesAsText("eventId"))
        .as("the delivered but unacknowledged event comes again, then the next one")
        .hasSize(2)
        .startsWith(firstEvent);
    Response acknowledged =
        via(
            after,
            org,
            "POST",
            "/acknowledge",
            session,
            "{\"events\":[{\"eventId\":\"" + firstEvent + "\"}]}");
    assertThat(acknowledged.json().get("eventIdsAcknowledged").get(0).asText())
        .isEqualTo(firstEvent);
  }
}
