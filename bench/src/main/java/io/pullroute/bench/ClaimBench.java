package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code claim}: agents pulling requests off a list (exclusive PullInteraction), against a raw JDBC
 * conditional-UPDATE loop on the same kind of store, with the same agents and the same access
 * pattern: every agent walks the requests in its own random order and tries to claim each one it
 * has not seen taken. A third side runs that conditional UPDATE behind a bare HTTP handler ({@link
 * SqlOverHttp}), driven by pullroute's load generator: the most any server answering pulls over
 * HTTP could claim on this machine with this load generator.
 */
final class ClaimBench {
  /**
   * Requests the raw loop claims in an untimed round before the measured ones; pullroute's server
   * claims at least as many ({@link #WARM_ROUND} × {@link #MIN_WARM_ROUNDS}). 600, then 4,000 were
   * too few: the server's JIT compilers still took 35–90 % of a core through the measured round
   * (its compilation log showed ~60 methods compiled per second there), and the server's CPU time
   * per claim was ~1.5× what it is after 12,000.
   */
  private static final int WARM_UP = 12000;

  /**
   * The servers' warm-up goes in rounds of this many requests: at least {@link #MIN_WARM_ROUNDS},
   * then more until the server's JIT compilers used less than a tenth of its CPU in the last one,
   * for at most {@link #MAX_WARM_UP} (and {@link #MAX_WARM_ROUNDS} rounds). After 12,000 claims
   * they still used 30–60 % of it on PostgreSQL, and ~100 methods a second were still being
   * compiled; they settled after 15,000 to 30,000. The measured round prints the compilers' share,
   * settled or not.
   */
  private static final int WARM_ROUND = 3000;

  private static final int MIN_WARM_ROUNDS = WARM_UP / WARM_ROUND;

  /**
   * The longest warm-up of a server. Until session 12 it stopped after 10 rounds: on a 2-core
   * machine the JVM has one C2 compiler thread, and pullroute's server gives it about a minute of
   * work (a compilation log: ~2,900 C2 compilations, 50 s of it, the last of them the pull's own
   * methods), so after 10 rounds (20–30 s) its compilers still used 25–40 % of its CPU in the
   * measured round, and so did those of the raw SQL over HTTP server, whose rounds last a second.
   * The fan-out's warm-up has the same cap.
   */
  private static final Duration MAX_WARM_UP = Duration.ofSeconds(150);

  /** The most rounds of a warm-up: rows enough for them are made ready for raw SQL over HTTP. */
  private static final int MAX_WARM_ROUNDS = 60;

  private ClaimBench() {}

  static void run(boolean quick, String pgUrl) throws Exception {
    List<Integer> agentCounts = quick ? List.of(50) : List.of(50, 200, 500);
    int requests = quick ? 3000 : 6000;
    Report report = new Report("claim");
    Map<String, Object> series = new LinkedHashMap<>();
    List<String> stores = new ArrayList<>(List.of("h2"));
    if (pgUrl != null) {
      stores.add("postgres");
    }
    double firstClaims = 0;
    double firstRaw = 0;
    double firstOverHttp = 0;
    double pgClaims = 0;
    double pgRaw = 0;
    long doubles = 0;
    for (String store : stores) {
      for (int agents : agentCounts) {
        double raw = rawSql(store, pgUrl, agents, requests);
        Result overHttp = sqlOverHttp(store, pgUrl, agents, requests);
        Report.progress(
            "%s, %d agents: raw SQL over HTTP %.0f claims/s; CPU per claim: its server %.0f us,"
                + " load generator %.0f us, PostgreSQL %.0f us (WAL written: %.0f bytes)",
            store,
            agents,
            overHttp.perSecond,
            overHttp.serverCpuMicros,
            overHttp.clientCpuMicros,
            overHttp.storeCpuMicros,
            overHttp.storeWalBytes);
        Result pulled = pullroute(store.equals("postgres") ? pgUrl : null, agents, requests);
        Report.progress(
            "%s, %d agents: pullroute %.0f claims/s, raw SQL %.0f claims/s, %d double claims;"
                + " CPU per claim: server %.0f us (its JIT compilers %.0f us), load generator %.0f"
                + " us, PostgreSQL %.0f us (WAL written: %.0f bytes)",
            store,
            agents,
            pulled.perSecond,
            raw,
            pulled.doubleClaims,
            pulled.serverCpuMicros,
            pulled.serverJitMicros,
            pulled.clientCpuMicros,
            pulled.storeCpuMicros,
            pulled.storeWalBytes);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("claims_per_s", pulled.perSecond);
        figures.put("raw_sql_per_s", raw);
        figures.put("sql_over_http_per_s", overHttp.perSecond);
        figures.put("ratio", pulled.perSecond / raw);
        figures.put("ratio_to_sql_over_http", pulled.perSecond / overHttp.perSecond);
        figures.put("double_claims", pulled.doubleClaims);
        figures.put("warm_up_requests", pulled.warmUpRequests);
        figures.put("server_cpu_us_per_claim", pulled.serverCpuMicros);
        figures.put("server_jit_us_per_claim", pulled.serverJitMicros);
        figures.put("client_cpu_us_per_claim", pulled.clientCpuMicros);
        figures.put("postgres_cpu_us_per_claim", pulled.storeCpuMicros);
        figures.put("postgres_wal_bytes_per_claim", pulled.storeWalBytes);
        figures.put("sql_over_http_server_cpu_us_per_claim", overHttp.serverCpuMicros);
        figures.put("sql_over_http_client_cpu_us_per_claim", overHttp.clientCpuMicros);
        figures.put("sql_over_http_postgres_cpu_us_per_claim", overHttp.storeCpuMicros);
        figures.put("sql_over_http_postgres_wal_bytes_per_claim", overHttp.storeWalBytes);
        figures.put("sql_over_http_warm_up_requests", overHttp.warmUpRequests);
        series.put(store + "-" + agents, figures);
        doubles += pulled.doubleClaims;
        if (firstClaims == 0) {
          firstClaims = pulled.perSecond;
          firstRaw = raw;
          firstOverHttp = overHttp.perSecond;
        }
        if (store.equals("postgres") && pgClaims == 0) {
          pgClaims = pulled.perSecond;
          pgRaw = raw;
        }
      }
    }
    report
        .put("claims_per_s", firstClaims)
        .put("raw_sql_per_s", firstRaw)
        .put("double_claims", doubles)
        .put("ratio", firstClaims / firstRaw)
        .put("sql_over_http_per_s", firstOverHttp)
        .put("sql_over_http_ratio", firstOverHttp / firstRaw);
    if (pgClaims > 0) {
      report
          .put("pg_claims_per_s", pgClaims)
          .put("pg_raw_sql_per_s", pgRaw)
          .put("pg_ratio", pgClaims / pgRaw);
    }
    report.detail("series", series);
    report.finish(quick);
  }

  /**
   * A measured round: claims per second, double claims, and the CPU time the server (and of it, its
   * JIT compilers), this process (the load generator) and PostgreSQL (0 on H2, which runs inside
   * the server) spent per claim; the bytes of write-ahead log PostgreSQL wrote per claim (0 on H2);
   * and how many requests the warm-up before it claimed.
   */
  record Result(
      double perSecond,
      long doubleClaims,
      double serverCpuMicros,
      double serverJitMicros,
      double clientCpuMicros,
      double storeCpuMicros,
      double storeWalBytes,
      int warmUpRequests) {}

  /**
   * Where PostgreSQL's write-ahead log ends now, in bytes (0 without PostgreSQL): the difference of
   * two readings is what every writer of the database cluster wrote between them, so a measured
   * round's is its claims' write volume (plus anything else running on the cluster then).
   */
  private static long walPosition(String pgUrl) throws java.sql.SQLException {
    if (pgUrl == null) {
      return 0;
    }
    try (Connection connection = DriverManager.getConnection(pgUrl);
        Statement statement = connection.createStatement();
        var position =
            statement.executeQuery(
                "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
      position.next();
      return position.getLong(1);
    }
  }

  /**
   * CPU time the local PostgreSQL's processes have used so far (zero where there is none, or it is
   * not on this machine); processes that ended meanwhile are not counted. From each process's
   * /proc/PID/schedstat, in nanoseconds: /proc/PID/stat counts in 10 ms ticks, and the raw loop's
   * 50 connections each use less than a tick.
   */
  private static Duration postgresCpu() {
    long nanos = 0;
    try (var processes = Files.list(java.nio.file.Path.of("/proc"))) {
      for (java.nio.file.Path process : processes.toList()) {
        try {
          if (process.getFileName().toString().chars().allMatch(Character::isDigit)
              && Files.readString(process.resolve("comm")).strip().equals("postgres")) {
            nanos += Long.parseLong(Files.readString(process.resolve("schedstat")).split(" ")[0]);
          }
        } catch (java.io.IOException | RuntimeException gone) {
          // The process ended meanwhile, or is not ours to read.
        }
      }
    } catch (java.io.IOException noProc) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(nanos);
  }

  /** PullInteraction over HTTP by {@code agents} signed-in agents of one group. */
  static Result pullroute(String pgUrl, int agents, int requests) throws Exception {
    try (ServerUnderTest server =
        ServerUnderTest.start(pgUrl, Duration.ofSeconds(15), agents + 16)) {
      Http http = server.http;
      Map<String, String> admin = server.admin();
      // Passwords are hashed with Argon2id: a few at a time, not 500 connections at once.
      List<String> ids =
          inBatches(
              agents,
              i ->
                  http.send(
                      "POST",
                      "/api/v1/users",
                      admin,
                      Map.of(
                          "username",
                          "agent" + i,
                          "password",
                          "bench-pw",
                          "roles",
                          List.of("agent"))),
              "id");
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
      List<String> agentTokens =
          inBatches(
              agents,
              i ->
                  http.send(
                      "POST",
                      "/tokenservice/oauth2/access_token",
                      Map.of(),
                      "grant_type=password&org_id="
                          + server.org
                          + "&username=agent"
                          + i
                          + "&password=bench-pw"),
              "access_token");
      String path = "/api/v2/me/workbins/" + list + "?agentGroup=Claimers";
      // Untimed rounds first, so both sides are measured warmed up (JIT, pools, caches).
      int warmUp =
          warmUp(
              "pullroute",
              server.jvm,
              round -> walk(http, path, agentTokens, create(server, channel, WARM_ROUND)));
      List<String> conversations = create(server, channel, requests);
      Report.progress("pullroute: %d agents, %d requests waiting", agents, requests);
      Duration serverCpu = server.jvm.cpuTime();
      Duration serverJit = server.jvm.compilerCpuTime();
      Duration clientCpu = Jvm.ownCpuTime();
      Duration storeCpu = postgresCpu();
      long wal = walPosition(pgUrl);
      long started = System.nanoTime();
      Walked walked = walk(http, path, agentTokens, conversations);
      double elapsed = (System.nanoTime() - started) / 1e9;
      double walBytes = (double) (walPosition(pgUrl) - wal) / requests;
      double serverMicros = server.jvm.cpuTime().minus(serverCpu).toNanos() / 1e3 / requests;
      double jitMicros = server.jvm.compilerCpuTime().minus(serverJit).toNanos() / 1e3 / requests;
      double clientMicros = Jvm.ownCpuTime().minus(clientCpu).toNanos() / 1e3 / requests;
      double storeMicros = postgresCpu().minus(storeCpu).toNanos() / 1e3 / requests;
      Report.progress(
          "pullroute: %d pulls lost the race (409) for %d claims", walked.lost(), requests);
      long doubleClaims = walked.won() - requests;
      // Every request has exactly one participant, read back from the server.
      for (String id : conversations) {
        JsonNode read = http.call("GET", "/api/v1/conversations/" + id, admin, null).json();
        if (read.get("participants").size() != 1) {
          doubleClaims++;
        }
      }
      return new Result(
          requests / elapsed,
          Math.max(0, doubleClaims),
          serverMicros,
          jitMicros,
          clientMicros,
          pgUrl == null ? 0 : storeMicros,
          walBytes,
          warmUp);
    }
  }

  /** One untimed round of {@link #WARM_ROUND} requests, the {@code round}th (from 0). */
  private interface WarmRound {
    void walk(int round) throws Exception;
  }

  /**
   * Untimed rounds on {@code server}: at least {@link #MIN_WARM_ROUNDS}, then more until its JIT
   * compilers used less than a tenth of its CPU in the last one, for at most {@link #MAX_WARM_UP};
   * answers how many requests they claimed.
   */
  private static int warmUp(String who, Jvm server, WarmRound round) throws Exception {
    int warmed = 0;
    long deadline = System.nanoTime() + MAX_WARM_UP.toNanos();
    for (int done = 0; done < MAX_WARM_ROUNDS && System.nanoTime() < deadline; done++) {
      Jvm.CpuMark before = server.cpuMark();
      round.walk(done);
      warmed += WARM_ROUND;
      double jitShare = server.compilerShareSince(before);
      Report.progress(
          "%s: warm-up round %d (%d requests): JIT compilers %.0f %% of the server's CPU",
          who, done + 1, WARM_ROUND, 100 * jitShare);
      if (done + 1 >= MIN_WARM_ROUNDS && jitShare < 0.1) {
        break;
      }
    }
    return warmed;
  }

  /** {@code count} calls, 16 at a time; answers the {@code field} of each answer, in order. */
  private static List<String> inBatches(
      int count,
      java.util.function.IntFunction<CompletableFuture<Http.Response>> call,
      String field)
      throws Exception {
    List<String> values = new ArrayList<>();
    for (int from = 0; from < count; from += 16) {
      List<CompletableFuture<Http.Response>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 16); i++) {
        batch.add(call.apply(i));
      }
      for (CompletableFuture<Http.Response> answer : batch) {
        values.add(answer.get().json().get(field).asText());
      }
    }
    return values;
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

  /** What a {@link #walk} did: pulls that won, and pulls that lost the race (409). */
  private record Walked(long won, long lost) {}

  /**
   * Every agent walks {@code conversations} in its own random order, pulling each one it has not
   * seen taken; answers how many pulls won and lost.
   */
  private static Walked walk(
      Http http, String path, List<String> tokens, List<String> conversations) throws Exception {
    Map<String, Boolean> taken = new ConcurrentHashMap<>();
    AtomicLong wins = new AtomicLong();
    AtomicLong lost = new AtomicLong();
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
                    while (answer.status() == 503) {
                      // Overloaded (500 agents on 2 cores): retry after the server's Retry-After.
                      TimeUnit.SECONDS.sleep(1); // a client honouring Retry-After, not a test
                      answer =
                          http.call(
                              "POST",
                              path,
                              Map.of("Authorization", "Bearer " + token),
                              Map.of("operationName", "PullChat", "id", id));
                    }
                    if (answer.status() == 200) {
                      wins.incrementAndGet();
                      taken.put(id, true);
                    } else if (answer.status() == 409) {
                      lost.incrementAndGet();
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
    return new Walked(wins.get(), lost.get());
  }

  /** The same walk as one conditional UPDATE per attempt, over JDBC, one connection per agent. */
  static double rawSql(String store, String pgUrl, int agents, int requests) throws Exception {
    java.nio.file.Path h2Dir =
        store.equals("postgres") ? null : Files.createTempDirectory("pullroute-bench-raw-");
    try {
      return rawSqlOn(h2Dir == null ? pgUrl : rawH2Url(h2Dir), store, agents, requests);
    } finally {
      if (h2Dir != null) {
        ServerUnderTest.deleteTree(h2Dir); // every connection is closed: H2 has closed the file
      }
    }
  }

  /** The raw loop's embedded store in {@code dir}: a file, each commit written at once. */
  private static String rawH2Url(java.nio.file.Path dir) {
    return "jdbc:h2:file:"
        + dir.resolve("raw")
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
  }

  /**
   * The same walk, by the same load generator as pullroute's, against the raw loop's conditional
   * UPDATE behind a bare HTTP handler ({@link SqlOverHttp}, a JVM of its own): claims/s, and the
   * CPU time per claim of that server, the load generator and PostgreSQL.
   */
  static Result sqlOverHttp(String store, String pgUrl, int agents, int requests) throws Exception {
    java.nio.file.Path h2Dir =
        store.equals("postgres") ? null : Files.createTempDirectory("pullroute-bench-http-");
    String url = h2Dir == null ? pgUrl : rawH2Url(h2Dir);
    String table = "bench_claim_" + Long.toHexString(System.nanoTime());
    try (Jvm server =
            Jvm.start(
                "2g",
                SqlOverHttp.class.getName(),
                List.of(
                    url,
                    table,
                    Integer.toString(MAX_WARM_ROUNDS * WARM_ROUND + requests),
                    Integer.toString(Math.min(agents, RAW_CONNECTIONS))),
                java.util.regex.Pattern.compile("^sql over http ready on (http://\\S+)$"));
        Http http = new Http(server.url(), agents + 16, JettyHello.CLIENT_IDLE)) {
      List<String> tokens = new ArrayList<>();
      for (int a = 0; a < agents; a++) {
        tokens.add("agent-" + a);
      }
      int warmed =
          warmUp(
              "raw SQL over HTTP",
              server,
              round -> walk(http, "/claim", tokens, ids(round * WARM_ROUND, WARM_ROUND)));
      Duration serverCpu = server.cpuTime();
      Duration clientCpu = Jvm.ownCpuTime();
      Duration storeCpu = postgresCpu();
      String walUrl = h2Dir == null ? pgUrl : null;
      long wal = walPosition(walUrl);
      long started = System.nanoTime();
      Walked walked = walk(http, "/claim", tokens, ids(warmed, requests));
      double elapsed = (System.nanoTime() - started) / 1e9;
      double walBytes = (double) (walPosition(walUrl) - wal) / requests;
      Report.progress(
          "raw SQL over HTTP: %d pulls lost the race (409) for %d claims", walked.lost(), requests);
      return new Result(
          requests / elapsed,
          Math.max(0, walked.won() - requests),
          server.cpuTime().minus(serverCpu).toNanos() / 1e3 / requests,
          0,
          Jvm.ownCpuTime().minus(clientCpu).toNanos() / 1e3 / requests,
          h2Dir == null ? postgresCpu().minus(storeCpu).toNanos() / 1e3 / requests : 0,
          walBytes,
          warmed);
    } finally {
      if (h2Dir != null) {
        ServerUnderTest.deleteTree(h2Dir); // its JVM has ended: H2 has closed the file
      } else {
        try (Connection connection = DriverManager.getConnection(pgUrl);
            Statement statement = connection.createStatement()) {
          statement.execute("DROP TABLE IF EXISTS " + table);
        }
      }
    }
  }

  /** Ids {@code first} … {@code first + count - 1}, as the walk names requests. */
  private static List<String> ids(int first, int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = first; i < first + count; i++) {
      ids.add(Integer.toString(i));
    }
    return ids;
  }

  /**
   * Rounds the raw loop claims {@code requests} in after its warm-up; its rate is their median. One
   * round of 3,000 lasts a quarter of a second or less on either store.
   */
  private static final int RAW_ROUNDS = 3;

  private static double rawSqlOn(String url, String store, int agents, int requests)
      throws Exception {
    String table = "bench_claim_" + Long.toHexString(System.nanoTime());
    try (Connection setup = DriverManager.getConnection(url)) {
      createClaimTable(setup, table, WARM_UP + RAW_ROUNDS * requests);
      // The connections are opened before any round is timed, as the servers' pools are: opening
      // PostgreSQL's 50 took ~215 ms, most of a round's time (session 14).
      java.util.concurrent.BlockingQueue<Claimer> pool =
          new java.util.concurrent.LinkedBlockingQueue<>();
      try {
        for (int i = 0; i < Math.min(agents, RAW_CONNECTIONS); i++) {
          Connection connection = DriverManager.getConnection(url);
          pool.add(new Claimer(connection, connection.prepareStatement(claimSql(table))));
        }
        rawWalk(pool, agents, 0, WARM_UP);
        List<Double> rates = new ArrayList<>();
        Duration clientCpu = Jvm.ownCpuTime();
        Duration storeCpu = Duration.ZERO;
        for (int round = 0; round < RAW_ROUNDS; round++) {
          long started = System.nanoTime();
          storeCpu = storeCpu.plus(rawWalk(pool, agents, WARM_UP + round * requests, requests));
          rates.add(requests / ((System.nanoTime() - started) / 1e9));
        }
        int claims = RAW_ROUNDS * requests;
        Report.progress(
            "raw SQL: %s claims/s in %d rounds; CPU per claim: loop %.0f us (with H2 inside it),"
                + " PostgreSQL %.0f us",
            rates.stream().map(rate -> String.format("%.0f", rate)).toList(),
            RAW_ROUNDS,
            Jvm.ownCpuTime().minus(clientCpu).toNanos() / 1e3 / claims,
            store.equals("postgres") ? storeCpu.toNanos() / 1e3 / claims : 0);
        return PollsBench.median(rates);
      } finally {
        for (Claimer claimer : pool) {
          claimer.connection().close();
        }
        try (Statement statement = setup.createStatement()) {
          statement.execute("DROP TABLE " + table);
        }
      }
    }
  }

  /** The raw loop's table: {@code rows} rows, ids {@code 0 … rows - 1}, none claimed. */
  static void createClaimTable(Connection connection, String table, int rows) throws Exception {
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, owner INTEGER, claimed_at BIGINT)");
    }
    try (PreparedStatement insert =
        connection.prepareStatement("INSERT INTO " + table + " (id) VALUES (?)")) {
      for (int i = 0; i < rows; i++) {
        insert.setInt(1, i);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /** The claim: parameters owner, time, id; one row changed when it won, none when it lost. */
  static String claimSql(String table) {
    return "UPDATE " + table + " SET owner = ?, claimed_at = ? WHERE id = ? AND owner IS NULL";
  }

  /** One connection of the raw loop with its prepared claim. */
  private record Claimer(Connection connection, PreparedStatement claim) {}

  /**
   * Connections of the raw loop: one per agent, at most {@value #RAW_CONNECTIONS} (PostgreSQL
   * refuses more than its max_connections; the server under test pools 16).
   */
  private static final int RAW_CONNECTIONS = 50;

  /**
   * Rows {@code first} … {@code first + count - 1}, walked like {@link #walk}: each agent claims in
   * its own random order with a connection from {@code pool}. Answers the CPU time the local
   * PostgreSQL spent meanwhile.
   */
  private static Duration rawWalk(
      java.util.concurrent.BlockingQueue<Claimer> pool, int agents, int first, int count)
      throws Exception {
    Map<Integer, Boolean> taken = new ConcurrentHashMap<>();
    // The store's CPU is read while the connections' server processes still run.
    Duration storeCpu = postgresCpu();
    try (ExecutorService agentsRunning = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      for (int a = 0; a < agents; a++) {
        int agent = a;
        running.add(
            agentsRunning.submit(
                () -> {
                  List<Integer> order = new ArrayList<>();
                  for (int i = first; i < first + count; i++) {
                    order.add(i);
                  }
                  Collections.shuffle(order, new Random(agent));
                  for (int id : order) {
                    if (taken.containsKey(id)) {
                      continue;
                    }
                    Claimer claimer = pool.take();
                    try {
                      claimer.claim().setInt(1, agent);
                      claimer.claim().setLong(2, System.nanoTime());
                      claimer.claim().setInt(3, id);
                      claimer.claim().executeUpdate();
                    } finally {
                      pool.add(claimer);
                    }
                    taken.put(id, true);
                  }
                  return null;
                }));
      }
      for (Future<?> agent : running) {
        agent.get();
      }
      return postgresCpu().minus(storeCpu);
    }
  }
}
