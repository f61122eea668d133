package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * pullroute in a JVM of its own, on loopback, with limits raised for load, and an organization
 * {@code bench} to load it with.
 */
final class ServerUnderTest implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("^pullroute ready on (http://\\S+)$");

  /** A fresh organization per server: a PostgreSQL store outlives a run. */
  final String org;

  final Jvm jvm;

  /** The PostgreSQL database and the schema of this server's store; null on the embedded store. */
  private final String dbUrl;

  private final String schema;

  /**
   * The embedded store's directory (on PostgreSQL, only the server's lock file); removed on close.
   */
  private final Path dataDir;

  final Http http;
  final String apiKey;
  final String adminToken;

  private ServerUnderTest(
      Jvm jvm,
      Http http,
      String org,
      String apiKey,
      String adminToken,
      String dbUrl,
      String schema,
      Path dataDir) {
    this.dbUrl = dbUrl;
    this.schema = schema;
    this.dataDir = dataDir;
    this.jvm = jvm;
    this.org = org;
    this.http = http;
    this.apiKey = apiKey;
    this.adminToken = adminToken;
  }

  static ServerUnderTest start(String dbUrl, Duration pollWait, int connections) throws Exception {
    return start(dbUrl, pollWait, Http.Protocol.HTTP_1_1, Http.Pool.FIRST, connections);
  }

  /** With a client for loads that park a poll on most of its connections ({@link Http.Pool}). */
  static ServerUnderTest startParking(Duration pollWait, int connections) throws Exception {
    return start(null, pollWait, Http.Protocol.HTTP_1_1, Http.Pool.RANDOM, connections);
  }

  /** {@code connections}: the client's most connections to the server. */
  static ServerUnderTest start(
      String dbUrl, Duration pollWait, Http.Protocol protocol, Http.Pool pool, int connections)
      throws Exception {
    Path dataDir = Files.createTempDirectory("pullroute-bench-data-");
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--port",
                "0",
                "--data",
                dataDir.toString(),
                "--operator-secret",
                "bench-operator",
                "--poll-wait",
                pollWait.toSeconds() + "s",
                "--rate-limit",
                "1000000",
                "--max-sessions",
                "1000000",
                "--max-polls",
                "1000000"));
    String schema = null;
    if (dbUrl != null) {
      // A schema of its own, dropped afterwards: every run starts on an empty store, as the raw
      // loop starts on a new table (this machine's PostgreSQL runs no autovacuum, so a store
      // shared across runs would only grow and bloat).
      schema = "bench_" + Long.toHexString(System.nanoTime());
      execute(dbUrl, "CREATE SCHEMA " + schema);
      args.add("--db-url");
      args.add(dbUrl + (dbUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
    }
    Jvm jvm = Jvm.start("2g", "io.pullroute.Main", args, READY);
    // The server closes a connection idle for the poll wait + 30 s (docs/streaming.md); the client
    // drops its idle ones sooner, or a request sent as the server closes one meets a closed
    // connection (HTTP/1.1's keep-alive race: an EOF, seen in the ack workload).
    Http http = new Http(jvm.url(), protocol, pool, connections, pollWait.plusSeconds(15));
    JsonNode operator =
        http.call(
                "POST",
                "/tokenservice/oauth2/access_token",
                Map.of(),
                "grant_type=client_credentials&client_id=operator&client_secret=bench-operator")
            .json();
    String orgId = "bench-" + Long.toHexString(System.nanoTime() & 0xffffffL);
    JsonNode org =
        http.call(
                "POST",
                "/api/v1/organizations",
                Map.of("Authorization", "Bearer " + operator.get("access_token").asText()),
                Map.of("orgId", orgId))
            .json();
    JsonNode admin =
        http.call(
                "POST",
                "/tokenservice/oauth2/access_token",
                Map.of(),
                "grant_type=client_credentials&client_id="
                    + org.at("/adminClient/clientId").asText()
                    + "&client_secret="
                    + org.at("/adminClient/clientSecret").asText())
            .json();
    return new ServerUnderTest(
        jvm,
        http,
        orgId,
        org.get("apiKey").asText(),
        admin.get("access_token").asText(),
        dbUrl,
        schema,
        dataDir);
  }

  Map<String, String> admin() {
    return Map.of("Authorization", "Bearer " + adminToken);
  }

  Map<String, String> via(String session) {
    return session == null
        ? Map.of("Authorization", "Bearer " + adminToken, "x-api-key", apiKey)
        : Map.of(
            "Authorization", "Bearer " + adminToken,
            "x-api-key", apiKey,
            "via-client-sessionid", session);
  }

  /** A v3 session of the admin client that hears the {@code topics} resource {@code topic}. */
  String session(boolean acknowledge, String topic) {
    String session =
        http.call(
                "POST",
                "/via/v3/organizations/" + org + "/streaming/session",
                via(null),
                Map.of("inactivityDelay", 600, "requireAcknowledgement", acknowledge))
            .json()
            .get("sessionId")
            .asText();
    if (topic != null) {
      var answer =
          http.call(
              "POST",
              "/via/v3/organizations/" + org + "/streaming/subscriptions",
              via(session),
              Map.of(
                  "filterCriteria",
                  Map.of(
                      "catalogType", "outreach",
                      "catalogTypeEvents", List.of("status"),
                      "resources",
                          Map.of("resourceType", "topics", "resourceIds", List.of(topic)))));
      if (answer.status() != 200) {
        throw new IllegalStateException("subscription refused: " + answer);
      }
    }
    return session;
  }

  CompletableFuture<Http.Response> poll(String session, int maxEvents) {
    return http.send(
        "GET",
        "/via/v3/organizations/" + org + "/streaming/events?maxEvents=" + maxEvents,
        via(session),
        null);
  }

  /** Publishes a 50-byte-payload event about {@code topic}, stamped with the send time. */
  CompletableFuture<Http.Response> publish(String topic, long sentMicros) {
    String stamp = Long.toString(sentMicros);
    String padding = "x".repeat(Math.max(0, 30 - stamp.length()));
    return http.send(
        "POST",
        "/api/v1/events",
        admin(),
        Map.of(
            "eventType", "outreach.status",
            "resource", Map.of("type", "topics", "id", topic),
            "payload", Map.of("sent", stamp, "pad", padding)));
  }

  @Override
  public void close() throws Exception {
    http.close();
    jvm.close();
    if (schema != null) {
      execute(dbUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
    deleteTree(dataDir);
  }

  /** Deletes {@code dir} and everything in it (the server has exited). */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  /** Runs one statement on the database {@code dbUrl}, in a connection of its own. */
  private static void execute(String dbUrl, String sql) throws java.sql.SQLException {
    try (java.sql.Connection connection = java.sql.DriverManager.getConnection(dbUrl);
        java.sql.Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }
}
