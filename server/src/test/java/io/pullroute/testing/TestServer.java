package io.pullroute.testing;

import io.pullroute.Pullroute;
import io.pullroute.config.Config;

/**
 * A pullroute server started in-process on a real socket and a real store, as tests use it. The
 * operator client is {@code operator} / {@link #OPERATOR_SECRET}. Not thread-safe to start and
 * stop; its {@link #http()} client is.
 */
public final class TestServer implements AutoCloseable {
  public static final String OPERATOR_SECRET = "test-operator-secret";

  private final TestStores.Location location;
  private final Config config;
  private final TestClock clock;
  private final boolean ownsStore;
  private Pullroute server;
  private ApiClient http;

  private TestServer(
      TestStores.Location location, Config config, TestClock clock, boolean ownsStore) {
    this.location = location;
    this.config = config;
    this.clock = clock;
    this.ownsStore = ownsStore;
    start();
  }

  public static TestServer start(StoreKind kind) {
    return start(kind, config -> config);
  }

  /** Starts on a fresh store with the test defaults changed by {@code customize}. */
  public static TestServer start(
      StoreKind kind, java.util.function.UnaryOperator<Config> customize) {
    TestStores.Location location = TestStores.fresh(kind);
    Config config =
        customize.apply(Config.embedded(location.dataDir()).withOperatorSecret(OPERATOR_SECRET));
    return new TestServer(location, config, new TestClock(), true);
  }

  /**
   * A second node on this server's PostgreSQL store, as another process would be: its own port,
   * event hub and caches, the same clock. Close it before this server; its store stays this
   * server's.
   */
  public TestServer anotherNode() {
    if (kind() != StoreKind.POSTGRES) {
      throw new IllegalStateException("nodes share a PostgreSQL store, not an embedded one");
    }
    return new TestServer(location, config, clock, false);
  }

  private void start() {
    server = Pullroute.start(config, clock, location.open());
    http = new ApiClient("http://127.0.0.1:" + server.port());
  }

  /** Stops the server and starts a new one on the same store, as after a process restart. */
  public void restart() {
    server.close();
    start();
  }

  public ApiClient http() {
    return http;
  }

  public TestClock clock() {
    return clock;
  }

  public Pullroute server() {
    return server;
  }

  public StoreKind kind() {
    return location.kind();
  }

  @Override
  public void close() {
    if (!ownsStore) {
      server.close();
      return;
    }
    try (location) {
      server.close();
    }
  }
}
