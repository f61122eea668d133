package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * A statement the server has run many times on a small table is planned again for a big one: the
 * connection keeps no generic plan from the table's early size (with no ANALYZE in between, as on a
 * store without autovacuum, that plan would scan the whole table on every run). In a transaction
 * that keeps plans ({@link Plans}), a statement marked so is still planned on every run.
 */
class PostgresPlansTest {
  /** The shape of a claim's guard: no participant yet (true for the request being claimed). */
  private static final String NOBODY_ON =
      "SELECT NOT EXISTS (SELECT 1 FROM probe p WHERE p.conversation_id = :id)";

  @Test
  void a_statement_prepared_on_a_small_table_uses_the_index_once_the_table_is_big() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      database
          .jdbi()
          .useHandle(
              handle -> {
                createProbe(handle);
                // Prepared on the server after 5 runs; a generic plan from the 6th on.
                for (int run = 0; run < 12; run++) {
                  nobodyOn(handle);
                }
                growProbe(handle);

                // One transaction: pg_stat_xact_user_tables counts this transaction's scans.
                handle.useTransaction(
                    transaction -> {
                      long scansBefore = sequentialScans(transaction);
                      for (int run = 0; run < 5; run++) {
                        assertThat(nobodyOn(transaction)).isTrue();
                      }
                      assertThat(sequentialScans(transaction) - scansBefore).isZero();
                    });
              });
    }
  }

  /**
   * A routing transaction keeps plans (it would reuse this guard's generic plan, made on the empty
   * table), but a statement it plans on every run is planned for the big table.
   */
  @Test
  void a_statement_planned_every_run_uses_the_index_in_a_transaction_that_keeps_plans() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      database
          .jdbi()
          .useTransaction(
              handle -> {
                Plans.keptInTransaction(handle, database.dialect());
                createProbe(handle);
                for (int run = 0; run < 12; run++) {
                  nobodyOnEveryRun(handle);
                }
                growProbe(handle);

                long scansBefore = sequentialScans(handle);
                for (int run = 0; run < 5; run++) {
                  assertThat(nobodyOnEveryRun(handle)).isTrue();
                }
                assertThat(sequentialScans(handle) - scansBefore).isZero();
              });
    }
  }

  /** As participant: a key led by the request, and a second index. */
  private static void createProbe(Handle handle) {
    handle.execute(
        "CREATE TABLE probe (conversation_id TEXT NOT NULL, user_id TEXT NOT NULL,"
            + " joined_at TIMESTAMP NOT NULL, PRIMARY KEY (conversation_id, user_id))");
    handle.execute("CREATE INDEX probe_user ON probe (user_id)");
  }

  private static void growProbe(Handle handle) {
    handle.execute(
        "INSERT INTO probe SELECT 'c' || n, 'u' || n, now() FROM generate_series(1, 20000) AS n");
  }

  private static boolean nobodyOnEveryRun(Handle handle) {
    return handle
        .createQuery(NOBODY_ON)
        .addCustomizer(Plans.EVERY_RUN)
        .bind("id", "new")
        .mapTo(Boolean.class)
        .one();
  }

  private static boolean nobodyOn(Handle handle) {
    return handle.createQuery(NOBODY_ON).bind("id", "new").mapTo(Boolean.class).one();
  }

  /** Whole-table scans of {@code probe} so far, this transaction's included. */
  private static long sequentialScans(Handle handle) {
    return handle
        .createQuery(
            "SELECT COALESCE(seq_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'probe'")
        .mapTo(Long.class)
        .one();
  }
}
