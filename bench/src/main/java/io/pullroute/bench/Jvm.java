package io.pullroute.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM of its own, started from this jar: the server under test, the CometD server, the raw Jetty
 * server. The load generators stay in the bench JVM, so the two never share a heap.
 */
final class Jvm implements AutoCloseable {
  private final Process process;
  private final String url;
  private final Path log;

  private Jvm(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** Starts {@code mainClass} and waits for a stdout line matching {@code ready} (group 1: URL). */
  static Jvm start(String heap, String mainClass, List<String> args, Pattern ready)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-XX:+UseParallelGC");
    // Extra options for the JVMs under test (a profiler, say): split on spaces.
    String extra = System.getenv("PULLROUTE_BENCH_SERVER_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    Path log = Files.createTempFile("pullroute-bench-", ".log");
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> url =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  Matcher matcher = ready.matcher(line);
                  if (matcher.find()) {
                    return matcher.group(1);
                  }
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              throw new IllegalStateException(
                  mainClass + " exited before it was ready; see " + log);
            });
    try {
      return new Jvm(process, url.get(120, TimeUnit.SECONDS), log);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IOException(mainClass + " did not start: " + e.getMessage() + "; see " + log, e);
    }
  }

  String url() {
    return url;
  }

  /**
   * The file the process's standard error goes to: removed when it closes if the process wrote
   * nothing there (the usual case), kept and named otherwise, and kept when it failed to start.
   */
  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  /** CPU time the process has used so far (user and system, all threads). */
  java.time.Duration cpuTime() {
    return process.info().totalCpuDuration().orElse(java.time.Duration.ZERO);
  }

  /** CPU time this process (the load generator) has used so far. */
  static java.time.Duration ownCpuTime() {
    return ProcessHandle.current().info().totalCpuDuration().orElse(java.time.Duration.ZERO);
  }

  /**
   * CPU time the process's JIT compiler threads have used so far, from each thread's
   * /proc/PID/task/TID/schedstat in nanoseconds (Linux; zero elsewhere). Compiler threads that
   * ended meanwhile are not counted.
   */
  java.time.Duration compilerCpuTime() {
    long nanos = 0;
    try (var threads = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path thread : threads.toList()) {
        try {
          String name = Files.readString(thread.resolve("comm")).strip();
          if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            nanos += Long.parseLong(Files.readString(thread.resolve("schedstat")).split(" ")[0]);
          }
        } catch (IOException | RuntimeException gone) {
          // The thread ended meanwhile.
        }
      }
    } catch (IOException noProc) {
      return java.time.Duration.ZERO;
    }
    return java.time.Duration.ofNanos(nanos);
  }

  /** The process's CPU time and its JIT compilers' part of it, at one moment. */
  record CpuMark(java.time.Duration total, java.time.Duration compilers) {}

  CpuMark cpuMark() {
    return new CpuMark(cpuTime(), compilerCpuTime());
  }

  /** The share of the CPU time the process used since {@code mark} that its JIT compilers used. */
  double compilerShareSince(CpuMark mark) {
    return (double) compilerCpuTime().minus(mark.compilers()).toNanos()
        / Math.max(1, cpuTime().minus(mark.total()).toNanos());
  }

  /** Resident memory of the process, from /proc (Linux). */
  long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  /**
   * The process's live heap, in bytes: the total of its class histogram, which jcmd takes right
   * after a full GC of its own, less the filler arrays the collector leaves in gaps (not objects of
   * the program). Until session 12 this read the heap's used size with a second jcmd call after
   * {@code GC.run}: what the process allocated in between counted as used, and three readings of
   * one unchanged server in a row gave 195, 97 and 97 MB (its histogram: 102 MB each time).
   */
  long heapAfterFullGc() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return liveBytes(run(jcmd.toString(), Long.toString(pid()), "GC.class_histogram"));
  }

  /** The live bytes a class histogram of jcmd counts, less the collector's filler arrays. */
  static long liveBytes(String histogram) {
    // "Total  2394330  100339912" last; a class's line is "  3:  13244  5274936  name (module)".
    Matcher total = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(histogram);
    if (!total.find()) {
      throw new IllegalStateException("no class histogram from jcmd: " + histogram);
    }
    long live = Long.parseLong(total.group(1));
    Matcher filler =
        Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+\\S*jdk\\.internal\\.vm\\.Filler")
            .matcher(histogram);
    while (filler.find()) {
      live -= Long.parseLong(filler.group(1));
    }
    return live;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    jcmd.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      if (Files.size(log) == 0) {
        Files.delete(log);
      } else {
        Report.progress("JVM %d wrote to its standard error: see %s", process.pid(), log);
      }
    } catch (IOException gone) {
      // Removed already: nothing to keep.
    }
  }
}
