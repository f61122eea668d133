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
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * The embedded store's file stays near the size of its data under many small commits (each one a
 * chunk that H2 would otherwise keep for good: 20,000 commits left 168 MB with the store's 4 KB
 * pages, 387 MB with H2's default 16 KB ones), and compacting it loses no row.
 */
class EmbeddedCompactionTest {
  /** A few thousand commits' dead chunks: the tests' floors, instead of 64 MB and 1 GB. */
  private static final long SMALL = 8L << 20;

  private static final String PAYLOAD = "x".repeat(250);

  @Test
  void once_commits_stop_the_file_is_compacted_to_near_the_size_of_its_rows() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.H2)) {
      Path file = location.dataDir().resolve("pullroute.mv.db");
      Jdbi jdbi = Jdbi.create(dataSource(location));
      // One connection open throughout, as the server's pool keeps them: the store stays open.
      try (Handle handle = jdbi.open();
          EmbeddedCompaction compaction =
              new EmbeddedCompaction(dataSource(location), SMALL, Long.MAX_VALUE)) {
        commit(handle, 20_000, () -> {});

        // The rows are ~6 MB.
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(size(file)).isLessThan(48L << 20));
      }
      assertThat(rowsIn(jdbi)).isEqualTo(20_000);
    }
  }

  @Test
  void while_commits_go_on_the_file_is_compacted_once_its_dead_part_passes_the_busy_floor() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.H2)) {
      Path file = location.dataDir().resolve("pullroute.mv.db");
      Jdbi jdbi = Jdbi.create(dataSource(location));
      long[] largest = {0};
      try (Handle handle = jdbi.open();
          EmbeddedCompaction compaction =
              new EmbeddedCompaction(dataSource(location), Long.MAX_VALUE, SMALL)) {
        commit(handle, 30_000, () -> largest[0] = Math.max(largest[0], size(file)));

        // Then, quiet, it is compacted to near its rows (~9 MB), including the free space a
        // compaction cut short under load leaves between chunks.
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(size(file)).isLessThan(48L << 20));
      }
      // Without compaction the file reaches ~590 MB; checked once a second, it is compacted at
      // most a second's commits past its floor (it peaked at 170–180 MB on a 2-core machine).
      assertThat(largest[0]).isLessThan(400L << 20);
      assertThat(rowsIn(jdbi)).isEqualTo(30_000);
    }
  }

  @Test
  void a_database_on_the_embedded_store_compacts_its_file() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.H2);
        Database database = location.open()) {
      assertThat(database.compacted()).isTrue();
    }
  }

  private static JdbcDataSource dataSource(TestStores.Location location) {
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL(Database.embeddedUrl(location.dataDir()));
    return dataSource;
  }

  /** {@code count} rows, a transaction each; {@code every1000} runs after each thousand. */
  private static void commit(Handle handle, int count, Runnable every1000) {
    handle.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    for (int id = 1; id <= count; id++) {
      int row = id;
      handle.useTransaction(
          transaction ->
              transaction
                  .createUpdate("INSERT INTO probe (id, payload) VALUES (:id, :payload)")
                  .bind("id", row)
                  .bind("payload", PAYLOAD)
                  .execute());
      if (id % 1000 == 0) {
        every1000.run();
      }
    }
  }

  /** The rows, read after every connection closed the store: it opens again from its file. */
  private static int rowsIn(Jdbi jdbi) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT count(*) FROM probe WHERE payload = :payload")
                .bind("payload", PAYLOAD)
                .mapTo(int.class)
                .one());
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
