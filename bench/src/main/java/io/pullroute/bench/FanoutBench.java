package io.pullroute.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code fanout}: 1,000 streaming sessions, 10 topics × 100 subscribers, 50-byte events, at rising
 * delivery rates; the same shape against a CometD 8 server and Java clients in the same run.
 */
final class FanoutBench {
  static final int TOPICS = 10;
  static final int PER_TOPIC = 100;

  /**
   * Each side first runs this load untimed, so both are measured warmed up (JIT, pools, the load
   * generator's own JVM), whichever goes first. It is the rate the quick run measures, for long
   * enough that the server's JIT is done: after 8 s at 5,000/s pullroute's server still spent a
   * third of its CPU in the C2 compiler through the measured 10,000/s step (async-profiler), and
   * that step measured the compiler, not the delivery path (bench/REPORT.md).
   */
  static final int WARM_UP_RATE = 10_000;

  static final int WARM_UP_SECONDS = 20;

  /**
   * After the first {@link #WARM_UP_SECONDS}, the warm-up goes on 10 s at a time while the server's
   * JIT compilers used a tenth or more of its CPU, up to this many seconds in all. In session 6's
   * quick runs they still used ~22 % of pullroute's server through the measured step.
   */
  static final int MAX_WARM_UP_SECONDS = 60;

  /** One untimed step of the given length at {@link #WARM_UP_RATE}. */
  @FunctionalInterface
  private interface WarmUpStep {
    Fanout.Step run(int seconds) throws Exception;
  }

  private FanoutBench() {}

  static void run(boolean quick) throws Exception {
    List<Integer> rates = quick ? List.of(10_000) : List.of(1_000, 10_000, 50_000, 100_000);
    int seconds = quick ? 10 : 15;
    List<Fanout.Step> steps = new ArrayList<>();
    try (ServerUnderTest server =
        ServerUnderTest.start(null, Duration.ofSeconds(15), TOPICS * PER_TOPIC * 2 + 64)) {
      List<List<String>> sessions = sessions(server, TOPICS, PER_TOPIC, false);
      Report.progress("pullroute: %d sessions subscribed", TOPICS * PER_TOPIC);
      warmUp(server.jvm, length -> Fanout.pullroute(server, sessions, WARM_UP_RATE, length, false));
      for (int rate : rates) {
        Jvm.CpuMark mark = server.jvm.cpuMark();
        Duration client = Jvm.ownCpuTime();
        Fanout.Step step =
            Fanout.pullroute(server, sessions, rate, seconds, false)
                .withCpu(server.jvm.cpuTime().minus(mark.total()), Jvm.ownCpuTime().minus(client));
        print(step, false);
        steps.add(step);
      }
    }
    try (Jvm cometd =
            Jvm.start(
                "2g",
                CometDServerMain.class.getName(),
                List.of(),
                Pattern.compile("^cometd ready on (http://\\S+)$"));
        Fanout.CometDClients clients = new Fanout.CometDClients(cometd.url(), TOPICS, PER_TOPIC)) {
      Report.progress("CometD: %d clients subscribed", TOPICS * PER_TOPIC);
      warmUp(cometd, length -> clients.step(WARM_UP_RATE, length, TOPICS, PER_TOPIC));
      for (int rate : rates) {
        Jvm.CpuMark mark = cometd.cpuMark();
        Duration client = Jvm.ownCpuTime();
        Fanout.Step step =
            clients
                .step(rate, seconds, TOPICS, PER_TOPIC)
                .withCpu(cometd.cpuTime().minus(mark.total()), Jvm.ownCpuTime().minus(client));
        print(step, false);
        steps.add(step);
      }
    }
    Report report = new Report("fanout");
    int shown = 10_000;
    Fanout.Step ours = find(steps, "pullroute", shown);
    Fanout.Step theirs = find(steps, "cometd", shown);
    report
        .put("rate", shown)
        .put("sessions", TOPICS * PER_TOPIC)
        .put("p50_ms", ours.p50Ms())
        .put("p99_ms", ours.p99Ms())
        .put("cometd_p50_ms", theirs.p50Ms())
        .put("cometd_p99_ms", theirs.p99Ms())
        .put("lost", ours.lost())
        .put("cometd_lost", theirs.lost())
        .put("top_rate", topRate(steps, "pullroute"))
        .put("cometd_top_rate", topRate(steps, "cometd"))
        .detail("steps", steps.stream().map(FanoutBench::row).toList());
    report.finish(quick);
  }

  /**
   * Untimed steps until the JIT compilers of {@code jvm} used under a tenth of its CPU in the last
   * one (see {@link #MAX_WARM_UP_SECONDS}); prints each step and the compilers' share.
   */
  private static void warmUp(Jvm jvm, WarmUpStep step) throws Exception {
    int seconds = WARM_UP_SECONDS;
    for (int spent = 0; spent < MAX_WARM_UP_SECONDS; spent += seconds, seconds = 10) {
      Jvm.CpuMark mark = jvm.cpuMark();
      print(step.run(seconds), true);
      double share = jvm.compilerShareSince(mark);
      Report.progress("warm-up: JIT compilers %.0f %% of the server's CPU", 100 * share);
      if (share < 0.1) {
        return;
      }
    }
  }

  static List<List<String>> sessions(
      ServerUnderTest server, int topics, int perTopic, boolean acknowledge) {
    List<List<String>> sessions = new ArrayList<>();
    for (int topic = 0; topic < topics; topic++) {
      List<String> ofTopic = new ArrayList<>();
      for (int i = 0; i < perTopic; i++) {
        ofTopic.add(server.session(acknowledge, "topic-" + topic));
      }
      sessions.add(ofTopic);
    }
    return sessions;
  }

  static void print(Fanout.Step step, boolean warmUp) {
    Report.progress(
        "%s%s at %d deliveries/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d of %d delivered;"
            + " publish answered p50 %.2f ms, p99 %.2f ms%s",
        warmUp ? "warm-up, not counted: " : "",
        step.system(),
        step.deliveriesPerSecond(),
        step.p50Ms(),
        step.p99Ms(),
        step.maxMs(),
        step.received(),
        step.expected(),
        step.publishP50Ms(),
        step.publishP99Ms(),
        step.serverCpuMicros() == 0
            ? ""
            : String.format(
                "; CPU per delivery: server %.1f us, load generator %.1f us",
                step.serverCpuMicros(), step.clientCpuMicros()));
  }

  static Map<String, Object> row(Fanout.Step step) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("system", step.system());
    row.put("rate", step.deliveriesPerSecond());
    row.put("p50_ms", step.p50Ms());
    row.put("p99_ms", step.p99Ms());
    row.put("max_ms", step.maxMs());
    row.put("expected", step.expected());
    row.put("received", step.received());
    row.put("lost", step.lost());
    row.put("publish_p50_ms", step.publishP50Ms());
    row.put("publish_p99_ms", step.publishP99Ms());
    row.put("server_cpu_us_per_delivery", step.serverCpuMicros());
    row.put("client_cpu_us_per_delivery", step.clientCpuMicros());
    return row;
  }

  private static Fanout.Step find(List<Fanout.Step> steps, String system, int rate) {
    return steps.stream()
        .filter(step -> step.system().equals(system) && step.deliveriesPerSecond() == rate)
        .findFirst()
        .orElseThrow();
  }

  /** The highest rate at which nothing was lost and p99 stayed within a second. */
  private static int topRate(List<Fanout.Step> steps, String system) {
    return steps.stream()
        .filter(step -> step.system().equals(system))
        .filter(step -> step.lost() == 0 && step.p99Ms() <= 1000)
        .mapToInt(Fanout.Step::deliveriesPerSecond)
        .max()
        .orElse(0);
  }
}
