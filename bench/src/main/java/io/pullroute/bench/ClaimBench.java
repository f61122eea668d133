package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code claim}: agents pulling requests off a list (exclusive PullInteraction), against a raw JDBC
 * conditional-UPDATE loop on the same kind of store, with the same agents and the same access
 * pattern: every agent walks the requests in its own random order and tries to claim each one it
 * has not seen taken.
 */
final class ClaimBench {
  /** Requests claimed in an untimed round before the measured one, on both sides. */
  private static final int WARM_UP = 600;

  private ClaimBench() {}

  static void run(boolean quick, String pgUrl) throws Exception {
    List<Integer> agentCounts = quick ? List.of(50) : List.of(50, 200, 500);
    int requests = quick ? 2000 : 3000;
    Report report = new Report("claim");
    Map<String, Object> series = new LinkedHashMap<>();
    List<String> stores = new ArrayList<>(List.of("h2"));
    if (pgUrl != null) {
      stores.add("postgres");
    }
    double firstClaims = 0;
    double firstRaw = 0;
    long doubles = 0;
    for (String store : stores) {
      for (int agents : agentCounts) {
        double raw = rawSql(store, pgUrl, agents, requests);
        Result pulled = pullroute(store.equals("postgres") ? pgUrl : null, agents, requests);
        Report.progress(
            "%s, %d agents: pullroute %.0f claims/s, raw SQL %.0f claims/s, %d double claims",
            store, agents, pulled.perSecond, raw, pulled.doubleClaims);
        series.put(
            store + "-" + agents,
            Map.of(
                "claims_per_s",
                pulled.perSecond,
                "raw_sql_per_s",
                raw,
                "double_claims",
                pulled.doubleClaims));
        doubles += pulled.doubleClaims;
        if (firstClaims == 0) {
          firstClaims = pulled.perSecond;
          firstRaw = raw;
        }
      }
    }
    report
        .put("claims_per_s", firstClaims)
        .put("raw_sql_per_s", firstRaw)
        .put("double_claims", doubles)
        .put("ratio", firstClaims / firstRaw)
        .detail("series", series);
    report.finish(quick);
  }

  record Result(double perSecond, long doubleClaims) {}

  /** PullInteraction over HTTP by {@code agents} signed-in agents of one group. */
  static Result pullroute(String pgUrl, int agents, int requests) throws Exception {
    try (ServerUnderTest server = ServerUnderTest.start(pgUrl, "15s", agents + 16)) {
      Http http = server.http;
      Map<String, String> admin = server.admin();
      List<String> ids = new ArrayList<>();
      List<CompletableFuture<Http.Response>> users = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        users.add(
            http.send(
                "POST",
                "/api/v1/users",
                admin,
                Map.of(
                    "username", "agent" + i, "password", "bench-pw", "roles", List.of("agent"))));
      }
      for (CompletableFuture<Http.Response> user : users) {
        ids.add(user.get().json().get("id").asText());
      }
      http.call("POST", "/api/v1/agent-groups", admin, Map.of("name", "Claimers", "members", ids));
      String list =
          http.call(
                  "POST",
                  "/api/v1/lists",
                  admin,
                  Map.of("name", "Claims", "agentGroup", "Claimers"))
              .json()
              .get("id")
              .asText();
      String channel =
          http.call(
                  "POST",
                  "/api/v1/channels",
                  admin,
                  Map.of(
                      "name",
                      "claims",
                      "channelType",
                      "WEB",
                      "routingMode",
                      "PULL",
                      "listId",
                      list))
              .json()
              .get("id")
              .asText();
      List<CompletableFuture<Http.Response>> tokens = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        tokens.add(
            http.send(
                "POST",
                "/tokenservice/oauth2/access_token",
                Map.of(),
                "grant_type=password&org_id="
                    + server.org
                    + "&username=agent"
                    + i
                    + "&password=bench-pw"));
      }
      List<String> agentTokens = new ArrayList<>();
      for (CompletableFuture<Http.Response> token : tokens) {
        agentTokens.add(token.get().json().get("access_token").asText());
      }
      List<String> warmUp = create(server, channel, WARM_UP);
      List<String> conversations = create(server, channel, requests);
      Report.progress("pullroute: %d agents, %d requests waiting", agents, requests);
      String path = "/api/v2/me/workbins/" + list + "?agentGroup=Claimers";
      // An untimed round first, so both sides are measured warmed up (JIT, pools, caches).
      walk(http, path, agentTokens, warmUp);
      long started = System.nanoTime();
      long wins = walk(http, path, agentTokens, conversations);
      double elapsed = (System.nanoTime() - started) / 1e9;
      long doubleClaims = wins - requests;
      // Every request has exactly one participant, read back from the server.
      for (String id : conversations) {
        JsonNode read = http.call("GET", "/api/v1/conversations/" + id, admin, null).json();
        if (read.get("participants").size() != 1) {
          doubleClaims++;
        }
      }
      return new Result(requests / elapsed, Math.max(0, doubleClaims));
    }
  }

  /** Requests created on {@code channel}, each waiting on its list. */
  private static List<String> create(ServerUnderTest server, String channel, int count) {
    List<CompletableFuture<Http.Response>> created = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      created.add(
          server.http.send(
              "POST",
              "/api/v1/channels/" + channel + "/conversations",
              server.admin(),
              Map.of("customer", Map.of("firstName", "c" + i))));
    }
    return created.stream().map(answer -> answer.join().json().get("id").asText()).toList();
  }

  /**
   * Every agent walks {@code conversations} in its own random order, pulling each one it has not
   * seen taken; answers how many pulls won.
   */
  private static long walk(Http http, String path, List<String> tokens, List<String> conversations)
      throws Exception {
    Map<String, Boolean> taken = new ConcurrentHashMap<>();
    AtomicLong wins = new AtomicLong();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (int a = 0; a < tokens.size(); a++) {
        String token = tokens.get(a);
        List<String> order = new ArrayList<>(conversations);
        Collections.shuffle(order, new Random(a));
        running.add(
            pool.submit(
                () -> {
                  for (String id : order) {
                    if (taken.containsKey(id)) {
                      continue;
                    }
                    Http.Response answer =
                        http.call(
                            "POST",
                            path,
                            Map.of("Authorization", "Bearer " + token),
                            Map.of("operationName", "PullChat", "id", id));
                    if (answer.status() == 200) {
                      wins.incrementAndGet();
                      taken.put(id, true);
                    } else if (answer.status() == 409) {
                      taken.put(id, true);
                    } else {
                      throw new IllegalStateException("pull answered " + answer);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> agent : running) {
        agent.get();
      }
    }
    return wins.get();
  }

  /** The same walk as one conditional UPDATE per attempt, over JDBC, one connection per agent. */
  static double rawSql(String store, String pgUrl, int agents, int requests) throws Exception {
    String url =
        store.equals("postgres")
            ? pgUrl
            : "jdbc:h2:file:"
                + Files.createTempDirectory("pullroute-bench-raw-").resolve("raw")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
    String table = "bench_claim_" + Long.toHexString(System.nanoTime());
    try (Connection setup = DriverManager.getConnection(url)) {
      try (Statement statement = setup.createStatement()) {
        statement.execute(
            "CREATE TABLE "
                + table
                + " (id INTEGER PRIMARY KEY, owner INTEGER, claimed_at BIGINT)");
      }
      try (PreparedStatement insert =
          setup.prepareStatement("INSERT INTO " + table + " (id) VALUES (?)")) {
        for (int i = 0; i < WARM_UP + requests; i++) {
          insert.setInt(1, i);
          insert.addBatch();
        }
        insert.executeBatch();
      }
      rawWalk(url, table, agents, 0, WARM_UP);
      long started = System.nanoTime();
      rawWalk(url, table, agents, WARM_UP, requests);
      double elapsed = (System.nanoTime() - started) / 1e9;
      try (Statement statement = setup.createStatement()) {
        statement.execute("DROP TABLE " + table);
      }
      return requests / elapsed;
    }
  }

  /** Rows {@code first} … {@code first + count - 1}, walked like {@link #walk}. */
  private static void rawWalk(String url, String table, int agents, int first, int count)
      throws Exception {
    Map<Integer, Boolean> taken = new ConcurrentHashMap<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (int a = 0; a < agents; a++) {
        int agent = a;
        running.add(
            pool.submit(
                () -> {
                  List<Integer> order = new ArrayList<>();
                  for (int i = first; i < first + count; i++) {
                    order.add(i);
                  }
                  Collections.shuffle(order, new Random(agent));
                  try (Connection connection = DriverManager.getConnection(url);
                      PreparedStatement claim =
                          connection.prepareStatement(
                              "UPDATE "
                                  + table
                                  + " SET owner = ?, claimed_at = ? WHERE id = ? AND owner IS NULL")) {
                    for (int id : order) {
                      if (taken.containsKey(id)) {
                        continue;
                      }
                      claim.setInt(1, agent);
                      claim.setLong(2, System.nanoTime());
                      claim.setInt(3, id);
                      claim.executeUpdate();
                      taken.put(id, true);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> agent : running) {
        agent.get();
      }
    }
  }
}
