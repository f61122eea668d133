package io.pullroute;

import io.pullroute.admin.Demo;
import io.pullroute.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code pullroute serve [options]}. */
@Command(
    name = "pullroute",
    mixinStandardHelpOptions = true,
    subcommands = {Main.Serve.class},
    description = "Pull-mode routing and event-streaming server for contact centers.")
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Runs the server until SIGTERM or Ctrl-C. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run the server. Every option can also be set as PULLROUTE_<NAME>.")
  static final class Serve implements Callable<Integer> {
    @Option(
        names = "--host",
        defaultValue = "${env:PULLROUTE_HOST:-127.0.0.1}",
        description = "Address to bind (default ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    String host;

    @Option(
        names = "--port",
        defaultValue = "${env:PULLROUTE_PORT:-8080}",
        description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(
        names = "--data",
        defaultValue = "${env:PULLROUTE_DATA:-./data}",
        description = "Directory of the embedded store (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(
        names = "--db-url",
        defaultValue = "${env:PULLROUTE_DB_URL}",
        description = "JDBC URL of a PostgreSQL store (default: embedded H2 in --data).")
    String dbUrl;

    @Option(names = "--db-user", defaultValue = "${env:PULLROUTE_DB_USER}")
    String dbUser;

    @Option(names = "--db-password", defaultValue = "${env:PULLROUTE_DB_PASSWORD}")
    String dbPassword;

    @Option(
        names = "--poll-wait",
        defaultValue = "${env:PULLROUTE_POLL_WAIT:-15s}",
        description = "How long a long poll waits for events (default ${DEFAULT-VALUE}).")
    String pollWait;

    @Option(
        names = "--operator-secret",
        defaultValue = "${env:PULLROUTE_OPERATOR_SECRET}",
        description = "Secret of the 'operator' client, which creates organizations.")
    String operatorSecret;

    @Option(
        names = "--max-sessions",
        defaultValue = "${env:PULLROUTE_MAX_SESSIONS:-20}",
        description = "Streaming sessions per principal (default ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(
        names = "--max-polls",
        defaultValue = "${env:PULLROUTE_MAX_POLLS:-20}",
        description = "Polls a second per streaming session (default ${DEFAULT-VALUE}).")
    int maxPolls;

    @Option(
        names = "--rate-limit",
        defaultValue = "${env:PULLROUTE_RATE_LIMIT:-200}",
        description = "Requests per second per principal (default ${DEFAULT-VALUE}).")
    int rateLimit;

    @Option(
        names = "--demo",
        defaultValue = "${env:PULLROUTE_DEMO:-false}",
        description = "Create the demo organization, clients and users (idempotent).")
    boolean demo;

    @Override
    public Integer call() throws InterruptedException {
      Duration wait;
      Config config;
      try {
        wait = Config.parseDuration(pollWait);
        config =
            new Config(
                host,
                port,
                data,
                blankToNull(dbUrl),
                blankToNull(dbUser),
                blankToNull(dbPassword),
                wait,
                blankToNull(operatorSecret),
                demo,
                rateLimit,
                new Config.StreamingLimits(maxSessions, 50, maxPolls));
      } catch (IllegalArgumentException e) {
        System.err.println("pullroute: " + e.getMessage());
        return 2;
      }
      Pullroute server = Pullroute.start(config, InstantSource.system());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      server.close();
                    } finally {
                      stopped.countDown();
                    }
                  },
                  "pullroute-shutdown"));
      if (demo) {
        System.out.println(Demo.credentials());
      }
      System.out.println("pullroute ready on http://127.0.0.1:" + server.port());
      System.out.flush();
      stopped.await();
      return 0;
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value;
    }
  }
}
