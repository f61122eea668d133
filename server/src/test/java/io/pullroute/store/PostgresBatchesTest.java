package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.sql.Statement;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.junit.jupiter.api.Test;

/**
 * A batch of inserts reaches PostgreSQL as multi-row statements, not as one statement per row: the
 * driver rewrites it (in chunks of a power of two rows), and then answers {@code SUCCESS_NO_INFO}
 * for each row instead of its count.
 */
class PostgresBatchesTest {
  @Test
  void a_batch_of_inserts_is_sent_as_multi_row_statements() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      int[] counts =
          database
              .jdbi()
              .inTransaction(
                  handle -> {
                    handle.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, label TEXT)");
                    PreparedBatch batch =
                        handle.prepareBatch("INSERT INTO probe (id, label) VALUES (:id, :label)");
                    for (int id = 1; id <= 8; id++) {
                      batch.bind("id", id).bind("label", "row " + id).add();
                    }
                    return batch.execute();
                  });

      assertThat(counts).containsOnly(Statement.SUCCESS_NO_INFO).hasSize(8);
      int rows =
          database
              .jdbi()
              .withHandle(
                  handle ->
                      handle.createQuery("SELECT count(*) FROM probe").mapTo(int.class).one());
      assertThat(rows).isEqualTo(8);
    }
  }
}
