package io.pullroute.bench;

import io.pullroute.http.HttpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code memory}: parked polls (sessions waiting on an empty stream). Heap after full GC per parked
 * poll, resident memory, and that a poll of another session still answers while they wait. Over
 * HTTP/1.1 where the polls' sockets fit under this process's open-files limit, else over HTTP/2.
 */
final class MemoryBench {
  private MemoryBench() {}

  static void run(boolean quick) throws Exception {
    int wanted = quick ? 10_000 : 50_000;
    // Over HTTP/1.1 each parked poll holds a socket in this process and one in the server's: both
    // must fit under the open-files limit (a hard limit the bench cannot raise in a container).
    // Where they do not, the polls park over HTTP/2 in clear text, many on one connection.
    long files = openFilesLimit();
    boolean fits = wanted <= files - 2_000;
    Http.Protocol protocol = fits ? Http.Protocol.HTTP_1_1 : Http.Protocol.HTTP_2;
    int connections = fits ? wanted + 64 : wanted / HttpServer.H2C_STREAMS + 64;
    int parked = wanted;
    if (!fits) {
      Report.progress(
          "this process may open %d files: %d polls park over HTTP/2, up to %d on a connection",
          files, wanted, HttpServer.H2C_STREAMS);
    }
    Report report = new Report("memory");
    try (ServerUnderTest server =
        ServerUnderTest.start(
            null, Duration.ofSeconds(120), protocol, Http.Pool.FIRST, connections)) {
      List<String> sessions = new ArrayList<>(parked);
      List<CompletableFuture<Http.Response>> creating = new ArrayList<>();
      for (int i = 0; i < parked; i++) {
        creating.add(
            server.http.send(
                "POST",
                "/via/v3/organizations/" + server.org + "/streaming/session",
                server.via(null),
                java.util.Map.of("inactivityDelay", 600)));
        if (creating.size() == 500) {
          for (CompletableFuture<Http.Response> session : creating) {
            sessions.add(session.get().json().get("sessionId").asText());
          }
          creating.clear();
        }
      }
      for (CompletableFuture<Http.Response> session : creating) {
        sessions.add(session.get().json().get("sessionId").asText());
      }
      Report.progress("%d sessions created", sessions.size());
      long before = server.jvm.heapAfterFullGc();
      long rssBefore = server.jvm.rssBytes();
      List<CompletableFuture<Http.Response>> polls = new ArrayList<>(parked);
      for (String session : sessions) {
        polls.add(server.poll(session, 1));
      }
      // Parked when the hub counts them; a fresh session's poll then shows nothing slows down.
      String probe = server.session(false, "probe");
      long probeStarted = System.nanoTime();
      waitParked(server, parked);
      Report.progress("%d polls parked", parked);
      long after = server.jvm.heapAfterFullGc();
      long rssAfter = server.jvm.rssBytes();
      long probeMillis;
      server.publish("probe", System.currentTimeMillis() * 1000).get();
      long asked = System.nanoTime();
      server.http.call(
          "GET",
          "/via/v3/organizations/" + server.org + "/streaming/events",
          server.via(probe),
          null);
      probeMillis = (System.nanoTime() - asked) / 1_000_000;
      double perPoll = (after - before) / (double) parked / 1024.0;
      Report.progress(
          "heap %d MB → %d MB; %.2f KB per parked poll; RSS %d MB; another session's poll took %d ms",
          before >> 20, after >> 20, perPoll, rssAfter >> 20, probeMillis);
      report
          .put("parked", parked)
          .put("heap_kb_per_parked_poll", perPoll)
          .put("rss_mb", rssAfter >> 20)
          .put("other_poll_ms", probeMillis)
          .put("protocol", protocol == Http.Protocol.HTTP_2 ? "h2c" : "http/1.1")
          .detail("connections", connections)
          .detail("open_files_limit", files)
          .detail("heap_before_bytes", before)
          .detail("heap_after_bytes", after)
          .detail("rss_before_mb", rssBefore >> 20)
          .detail("setup_ms", (System.nanoTime() - probeStarted) / 1_000_000);
      polls.forEach(poll -> poll.cancel(true));
    }
    report.finish(quick);
  }

  /** The soft limit of open files of this process (the server inherits it), from /proc. */
  private static long openFilesLimit() throws java.io.IOException {
    for (String line :
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
      }
    }
    return Long.MAX_VALUE;
  }

  /** Waits (bounded) until the server's metrics show the polls waiting. */
  private static void waitParked(ServerUnderTest server, int parked) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      String metrics = server.http.call("GET", "/metrics", java.util.Map.of(), null).body();
      for (String line : metrics.split("\n")) {
        if (line.startsWith("pullroute_polls_waiting ")) {
          double waiting = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
          if (waiting >= parked) {
            return;
          }
        }
      }
      Thread.sleep(250); // polling a remote gauge; a benchmark, not a test
    }
    throw new IllegalStateException("the polls did not all park within 120 s");
  }
}
