package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.h2.jdbcx.JdbcDataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * The embedded store's file stays near the size of its data under many small commits (each one a
 * chunk of ~10–16 KB that H2 would otherwise keep for good), and compacting it loses no row.
 */
class EmbeddedCompactionTest {
  private static final int COMMITS = 20_000;

  /** Compaction from 8 MB of dead file on, so that a few thousand commits reach it. */
  private static final long FROM_DEAD_BYTES = 8L << 20;

  /** The rows' own size is ~6 MB; without compaction the file grows past 150 MB. */
  private static final long BOUND_BYTES = 48L << 20;

  @Test
  void many_small_commits_leave_a_file_near_the_size_of_the_data_and_lose_nothing() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.H2)) {
      Path file = location.dataDir().resolve("pullroute.mv.db");
      String payload = "x".repeat(250);
      JdbcDataSource dataSource = new JdbcDataSource();
      dataSource.setURL(Database.embeddedUrl(location.dataDir()));
      Jdbi jdbi = Jdbi.create(dataSource);
      // One connection open throughout, as the server's pool keeps them: the store stays open.
      try (var keepOpen = jdbi.open();
          EmbeddedCompaction compaction = new EmbeddedCompaction(dataSource, FROM_DEAD_BYTES)) {
        keepOpen.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
        for (int id = 1; id <= COMMITS; id++) {
          int row = id;
          keepOpen.useTransaction(
              transaction ->
                  transaction
                      .createUpdate("INSERT INTO probe (id, payload) VALUES (:id, :payload)")
                      .bind("id", row)
                      .bind("payload", payload)
                      .execute());
        }

        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(size(file)).isLessThan(BOUND_BYTES));
      }

      // Every connection closed the store; it opens again from the compacted file.
      int rows =
          jdbi.withHandle(
              handle ->
                  handle
                      .createQuery("SELECT count(*) FROM probe WHERE payload = :payload")
                      .bind("payload", payload)
                      .mapTo(int.class)
                      .one());
      assertThat(rows).isEqualTo(COMMITS);
    }
  }

  @Test
  void a_database_on_the_embedded_store_compacts_its_file() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.H2);
        Database database = location.open()) {
      assertThat(database.compacted()).isTrue();
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
