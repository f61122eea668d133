package io.pullroute.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * {@code polls}: GET /events answered at once (events already waiting), with maxEvents 1 and 200,
 * against a raw Jetty hello-world handler measured in the same run with the same client.
 */
final class PollsBench {
  private PollsBench() {}

  static void run(boolean quick, String dbUrl) throws Exception {
    int rounds = quick ? 4 : 8;
    int seconds = quick ? 3 : 5;
    int concurrency = 64;
    int sessions = 16;
    Report report = new Report("polls");
    try (ServerUnderTest server = ServerUnderTest.start(dbUrl, Duration.ofSeconds(15), 512);
        Jvm jetty =
            Jvm.start(
                "1g",
                JettyHello.class.getName(),
                List.of(),
                Pattern.compile("^jetty ready on (http://\\S+)$"));
        Http hello = new Http(jetty.url(), 512, JettyHello.CLIENT_IDLE)) {
      // Sessions with acknowledgement that never acknowledge: every poll finds its events waiting,
      // the oldest unacknowledged first, without publishing an event per poll.
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        ids.add(server.session(true, "polls"));
      }
      for (int i = 0; i < 200; i++) {
        server.publish("polls", System.currentTimeMillis() * 1000).get();
      }
      for (String id : ids) {
        server.poll(id, 200).get(); // delivered, so waiting from now on
      }
      Report.progress("pullroute: %d sessions with 200 events waiting each", sessions);
      // Warm up both sides (JIT) before measuring; the server's deeper stack takes longer.
      load(seconds, concurrency, i -> hello.send("GET", "/", Map.of(), null));
      for (int warm = 0; warm < 3; warm++) {
        load(seconds, concurrency, i -> server.poll(ids.get((int) (i % sessions)), 1));
        load(seconds, concurrency, i -> server.poll(ids.get((int) (i % sessions)), 200));
      }
      // Interleaved rounds, medians: the machine's noise drifts, the ratio should not.
      List<Double> polls1 = new ArrayList<>();
      List<Double> polls200 = new ArrayList<>();
      List<Double> jettyHello = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        jettyHello.add(load(seconds, concurrency, i -> hello.send("GET", "/", Map.of(), null)));
        polls1.add(load(seconds, concurrency, i -> server.poll(ids.get((int) (i % sessions)), 1)));
        polls200.add(
            load(seconds, concurrency, i -> server.poll(ids.get((int) (i % sessions)), 200)));
        Report.progress(
            "round %d: polls(1) %.0f/s, polls(200) %.0f/s, Jetty hello %.0f/s",
            round + 1, polls1.getLast(), polls200.getLast(), jettyHello.getLast());
      }
      double perSecond1 = median(polls1);
      double perSecond200 = median(polls200);
      double jettyPerSecond = median(jettyHello);
      report
          .put("polls_per_s", perSecond1)
          .put("events_per_s", perSecond200 * 200)
          .put("jetty_hello_per_s", jettyPerSecond)
          .put("polls200_per_s", perSecond200)
          .put("ratio", perSecond1 / jettyPerSecond)
          .detail("rounds", Map.of("polls1", polls1, "polls200", polls200, "jetty", jettyHello));
    }
    report.finish(quick);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    java.util.Collections.sort(sorted);
    int middle = sorted.size() / 2;
    return sorted.size() % 2 == 1
        ? sorted.get(middle)
        : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
  }

  interface Call {
    CompletableFuture<Http.Response> start(long index);
  }

  /** Keeps {@code concurrency} requests in flight for {@code seconds}; answers completions/s. */
  static double load(int seconds, int concurrency, Call call) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    AtomicLong index = new AtomicLong();
    for (int i = 0; i < concurrency; i++) {
      CompletableFuture<Void> loop = new CompletableFuture<>();
      next(call, index, done, failed, end, loop);
      loops.add(loop);
    }
    long started = System.nanoTime();
    CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get();
    double elapsed = (System.nanoTime() - started) / 1e9;
    if (failed.get() > 0) {
      Report.progress("%d requests failed", failed.get());
    }
    return done.get() / elapsed;
  }

  private static void next(
      Call call,
      AtomicLong index,
      AtomicLong done,
      AtomicLong failed,
      long end,
      CompletableFuture<Void> loop) {
    if (System.nanoTime() >= end) {
      loop.complete(null);
      return;
    }
    call.start(index.getAndIncrement())
        .whenComplete(
            (response, error) -> {
              if (error == null && response.status() == 200) {
                done.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
              next(call, index, done, failed, end, loop);
            });
  }
}
