package io.pullroute.bench;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pullroute bench <workload> [--quick]}: figures, not tests. */
@Command(
    name = "pullroute bench",
    mixinStandardHelpOptions = true,
    description =
        "Runs a benchmark workload against pullroute started in a JVM of its own on loopback,"
            + " prints progress and one RESULT line, and writes JSON to bench/results/.")
public final class BenchMain implements Callable<Integer> {
  static final List<String> WORKLOADS =
      List.of("fanout", "polls", "memory", "claim", "intake", "ack");

  @Parameters(index = "0", description = "fanout, polls, memory, claim, intake, ack, all or report")
  String workload;

  @Option(names = "--quick", description = "Smaller and shorter (all of them in minutes).")
  boolean quick;

  @Option(
      names = "--pg-url",
      defaultValue = "${env:PULLROUTE_BENCH_PG_URL}",
      description = "PostgreSQL JDBC URL for the store-bound workloads (claim runs on both).")
  String pgUrl;

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<String> selected = workload.equals("all") ? WORKLOADS : List.of(workload);
    for (String name : selected) {
      System.out.println("== " + name + (quick ? " (quick)" : ""));
      long started = System.nanoTime();
      switch (name) {
        case "polls" -> PollsBench.run(quick, null);
        case "claim" -> ClaimBench.run(quick, pgUrl);
        case "fanout" -> FanoutBench.run(quick);
        case "memory" -> MemoryBench.run(quick);
        case "intake" -> IntakeBench.run(quick);
        case "ack" -> AckBench.run(quick);
        case "report" -> Charts.draw();
        default -> {
          System.err.println("unknown workload " + name + "; use " + WORKLOADS + ", all or report");
          return 2;
        }
      }
      System.out.printf("  (%d s)%n", (System.nanoTime() - started) / 1_000_000_000L);
    }
    if (workload.equals("all")) {
      Charts.draw();
    }
    return 0;
  }
}
