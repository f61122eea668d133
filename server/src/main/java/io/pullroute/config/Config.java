package io.pullroute.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server is configured with, from flags and {@code PULLROUTE_*} environment
 * variables. Immutable.
 *
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param dataDir directory of the embedded store
 * @param dbUrl JDBC URL of an external store, or null for the embedded one
 * @param pollWait how long a long poll waits for events
 * @param operatorSecret secret of the {@code operator} client, or null for none
 * @param demo whether to bootstrap the demo organization
 * @param rateLimitPerSecond requests per second allowed to one principal (also the burst size)
 * @param streaming the limits of streaming sessions
 */
public record Config(
    String host,
    int port,
    Path dataDir,
    String dbUrl,
    String dbUser,
    String dbPassword,
    Duration pollWait,
    String operatorSecret,
    boolean demo,
    int rateLimitPerSecond,
    StreamingLimits streaming) {

  /**
   * Limits of the streaming API.
   *
   * @param sessionsPerPrincipal sessions one principal may hold
   * @param subscriptionsPerSession subscriptions one session may hold
   * @param pollsPerSecond polls a second one session may make (also the burst size)
   */
  public record StreamingLimits(
      int sessionsPerPrincipal, int subscriptionsPerSession, int pollsPerSecond) {
    public static final StreamingLimits DEFAULT = new StreamingLimits(20, 50, 20);

    public StreamingLimits {
      if (sessionsPerPrincipal < 1 || subscriptionsPerSession < 1 || pollsPerSecond < 1) {
        throw new IllegalArgumentException("--max-sessions and --max-polls must be at least 1");
      }
    }
  }

  public static final long MAX_BODY_BYTES = 1024 * 1024;

  public Config {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(pollWait, "pollWait");
    requireNonNull(streaming, "streaming");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, was " + port);
    }
    if (pollWait.isNegative() || pollWait.isZero()) {
      throw new IllegalArgumentException("--poll-wait must be positive, was " + pollWait);
    }
    if (rateLimitPerSecond < 1) {
      throw new IllegalArgumentException(
          "--rate-limit must be at least 1, was " + rateLimitPerSecond);
    }
  }

  /** Defaults for an embedded store in {@code dataDir} on a free port; used by tests. */
  public static Config embedded(Path dataDir) {
    return new Config(
        "127.0.0.1",
        0,
        dataDir,
        null,
        null,
        null,
        Duration.ofSeconds(15),
        null,
        false,
        1000,
        StreamingLimits.DEFAULT);
  }

  public Config withDbUrl(String url, String user, String password) {
    return new Config(
        host,
        port,
        dataDir,
        url,
        user,
        password,
        pollWait,
        operatorSecret,
        demo,
        rateLimitPerSecond,
        streaming);
  }

  public Config withOperatorSecret(String secret) {
    return new Config(
        host,
        port,
        dataDir,
        dbUrl,
        dbUser,
        dbPassword,
        pollWait,
        secret,
        demo,
        rateLimitPerSecond,
        streaming);
  }

  public Config withDemo(boolean enabled) {
    return new Config(
        host,
        port,
        dataDir,
        dbUrl,
        dbUser,
        dbPassword,
        pollWait,
        operatorSecret,
        enabled,
        rateLimitPerSecond,
        streaming);
  }

  public Config withPollWait(Duration wait) {
    return new Config(
        host,
        port,
        dataDir,
        dbUrl,
        dbUser,
        dbPassword,
        wait,
        operatorSecret,
        demo,
        rateLimitPerSecond,
        streaming);
  }

  public Config withStreamingLimits(StreamingLimits limits) {
    return new Config(
        host,
        port,
        dataDir,
        dbUrl,
        dbUser,
        dbPassword,
        pollWait,
        operatorSecret,
        demo,
        rateLimitPerSecond,
        limits);
  }

  public Config withRateLimit(int perSecond) {
    return new Config(
        host,
        port,
        dataDir,
        dbUrl,
        dbUser,
        dbPassword,
        pollWait,
        operatorSecret,
        demo,
        perSecond,
        streaming);
  }

  /**
   * Parses durations such as {@code 15s}, {@code 500ms}, {@code 2m} or a plain number of seconds.
   */
  public static Duration parseDuration(String text) {
    String value = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (value.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
      }
      if (value.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
      }
      if (value.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (use e.g. 15s, 500ms, 2m)", e);
    }
  }
}
