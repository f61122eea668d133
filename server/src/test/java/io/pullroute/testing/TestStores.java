package io.pullroute.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.pullroute.common.Ids;
import io.pullroute.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens fresh stores for tests: H2 in a temporary directory, or a PostgreSQL schema of its own in
 * the database of {@code PULLROUTE_TEST_PG_URL}. Without that variable PostgreSQL tests are
 * skipped, except in CI ({@code CI=true}), where a skipped PostgreSQL test is a failure.
 */
public final class TestStores {
  public static final String PG_URL_VARIABLE = "PULLROUTE_TEST_PG_URL";

  private TestStores() {}

  /** Where a store lives, so that a restarted server can open the same one again. */
  public record Location(StoreKind kind, Path dataDir, String pgUrl, String pgSchema) {
    public Database open() {
      return switch (kind) {
        case H2 -> Database.open(Database.embeddedUrl(dataDir), null, null, null);
        case POSTGRES -> Database.open(pgUrl, null, null, pgSchema);
      };
    }
  }

  public static Location fresh(StoreKind kind) {
    try {
      Path dataDir = Files.createTempDirectory("pullroute-test-");
      return switch (kind) {
        case H2 -> new Location(kind, dataDir, null, null);
        case POSTGRES -> new Location(kind, dataDir, postgresUrl(), "t_" + Ids.randomHex(6));
      };
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
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
