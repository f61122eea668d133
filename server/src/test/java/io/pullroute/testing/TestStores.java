package io.pullroute.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.pullroute.common.Ids;
import io.pullroute.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens fresh stores for tests: H2 in a temporary directory, or a PostgreSQL schema of its own in
 * the database of {@code PULLROUTE_TEST_PG_URL}. Without that variable PostgreSQL tests are
 * skipped, except in CI ({@code CI=true}), where a skipped PostgreSQL test is a failure.
 */
public final class TestStores {
  public static final String PG_URL_VARIABLE = "PULLROUTE_TEST_PG_URL";

  private TestStores() {}

  /**
   * Where a store lives, so that a restarted server can open the same one again. Closing it removes
   * the store: the PostgreSQL schema is dropped, the data directory deleted. Close every {@link
   * Database} opened on it first. Closing it again does nothing (a class whose PostgreSQL run was
   * skipped closes its last server a second time).
   */
  public record Location(StoreKind kind, Path dataDir, String pgUrl, String pgSchema)
      implements AutoCloseable {
    public Database open() {
      return switch (kind) {
        case H2 -> Database.open(Database.embeddedUrl(dataDir), null, null, null);
        case POSTGRES -> Database.open(pgUrl, null, null, pgSchema);
      };
    }

    @Override
    public void close() {
      if (kind == StoreKind.POSTGRES) {
        try (Connection connection = DriverManager.getConnection(pgUrl);
            Statement statement = connection.createStatement()) {
          statement.execute("DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE");
        } catch (SQLException e) {
          throw new IllegalStateException("could not drop the test schema " + pgSchema, e);
        }
      }
      if (!Files.exists(dataDir)) {
        return; // closed already
      }
      try (Stream<Path> files = Files.walk(dataDir)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not delete the test store " + dataDir, e);
      }
    }
  }

  public static Location fresh(StoreKind kind) {
    // The URL first: a skipped PostgreSQL test leaves no directory behind.
    String pgUrl = kind == StoreKind.POSTGRES ? postgresUrl() : null;
    try {
      Path dataDir = Files.createTempDirectory("pullroute-test-");
      return switch (kind) {
        case H2 -> new Location(kind, dataDir, null, null);
        case POSTGRES -> new Location(kind, dataDir, pgUrl, "t_" + Ids.randomHex(6));
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The PostgreSQL URL, or an aborted test (a failed one in CI) when none is configured. */
  public static String postgresUrl() {
    String url = System.getenv(PG_URL_VARIABLE);
    if (url == null || url.isBlank()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(PG_URL_VARIABLE + " is not set: in CI the PostgreSQL tests must run");
      }
      Assumptions.abort(PG_URL_VARIABLE + " is not set; PostgreSQL tests skipped");
    }
    return url;
  }
}
