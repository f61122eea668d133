package io.pullroute.bench;

import java.time.Duration;
import java.util.List;

/** {@code ack}: the same fan-out with acknowledgement off and on. */
final class AckBench {
  private AckBench() {}

  static void run(boolean quick) throws Exception {
    int topics = 10;
    int perTopic = 10;
    int rate = quick ? 2_000 : 5_000;
    int seconds = quick ? 8 : 15;
    Fanout.Step off;
    Fanout.Step on;
    try (ServerUnderTest server =
        ServerUnderTest.startParking(Duration.ofSeconds(15), topics * perTopic * 3 + 64)) {
      List<List<String>> plain = FanoutBench.sessions(server, topics, perTopic, false);
      FanoutBench.print(
          Fanout.pullroute(server, plain, rate, FanoutBench.WARM_UP_SECONDS, false), true);
      off = Fanout.pullroute(server, plain, rate, seconds, false);
      FanoutBench.print(off, false);
      for (List<String> sessions : plain) {
        for (String session : sessions) {
          server.http.call(
              "DELETE",
              "/via/v3/organizations/" + server.org + "/streaming/session",
              server.via(session),
              null);
        }
      }
      List<List<String>> acknowledged = FanoutBench.sessions(server, topics, perTopic, true);
      FanoutBench.print(
          Fanout.pullroute(server, acknowledged, rate, FanoutBench.WARM_UP_SECONDS, true), true);
      on = Fanout.pullroute(server, acknowledged, rate, seconds, true);
      FanoutBench.print(on, false);
    }
    new Report("ack")
        .put("rate", rate)
        .put("p99_off_ms", off.p99Ms())
        .put("p99_on_ms", on.p99Ms())
        .put("lost_off", off.lost())
        .put("lost_on", on.lost())
        .put("ack_ratio", on.p99Ms() / Math.max(0.001, off.p99Ms()))
        .detail("steps", List.of(FanoutBench.row(off), FanoutBench.row(on)))
        .finish(quick);
  }
}
