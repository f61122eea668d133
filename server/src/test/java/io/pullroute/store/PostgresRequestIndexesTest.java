package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL the request indexes on mostly-NULL columns hold only the rows that have a value, so
 * a pull writes no entry into them for a request without one (db/postgresql/V9), and the queries
 * that read them can still use them. Event payloads are compressed with lz4.
 */
class PostgresRequestIndexesTest {
  /**
   * An index as V9 leaves it (its columns as before, and only the rows with a value), and a query
   * with the condition by which the repository reads it (the timers' due requests, an agent's
   * workbin, intake's idempotency key); alone, so that no other index could serve it. Full indexes
   * would serve these too: the query guards the partial one's predicate.
   */
  private record PartialIndex(String name, String definition, String readBy) {}

  private static final List<PartialIndex> INDEXES =
      List.of(
          new PartialIndex(
              "conversation_remind_at",
              "CREATE INDEX conversation_remind_at ON conversation USING btree (remind_at)"
                  + " WHERE (remind_at IS NOT NULL)",
              "SELECT id FROM conversation WHERE remind_at <= now() ORDER BY remind_at LIMIT 100"),
          new PartialIndex(
              "conversation_inactivity_deadline",
              "CREATE INDEX conversation_inactivity_deadline ON conversation"
                  + " USING btree (inactivity_deadline) WHERE (inactivity_deadline IS NOT NULL)",
              "SELECT id FROM conversation WHERE inactivity_deadline <= now()"
                  + " ORDER BY inactivity_deadline LIMIT 100"),
          new PartialIndex(
              "conversation_pulled_by",
              "CREATE INDEX conversation_pulled_by ON conversation USING btree (pulled_by)"
                  + " WHERE (pulled_by IS NOT NULL)",
              "SELECT id FROM conversation WHERE pulled_by = 'someone'"),
          new PartialIndex(
              "conversation_idempotency",
              "CREATE UNIQUE INDEX conversation_idempotency ON conversation"
                  + " USING btree (channel_id, idempotency_key) WHERE (idempotency_key IS NOT NULL)",
              "SELECT id FROM conversation WHERE channel_id = 'web' AND idempotency_key = 'retry-1'"));

  @Test
  void request_indexes_on_mostly_null_columns_hold_only_rows_with_a_value() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      database
          .jdbi()
          .useHandle(
              handle -> {
                for (PartialIndex index : INDEXES) {
                  assertThat(definition(handle, index.name()))
                      .as(index.name())
                      .isEqualTo(index.definition());
                }
              });
    }
  }

  @Test
  void the_queries_that_read_those_indexes_can_use_them() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      database
          .jdbi()
          .useTransaction(
              handle -> {
                // Whether an index can serve a query, whatever the table's size: a partial index
                // serves only queries whose conditions imply its predicate.
                handle.execute("SET LOCAL enable_seqscan = off");
                for (PartialIndex index : INDEXES) {
                  List<String> plan =
                      handle.createQuery("EXPLAIN " + index.readBy()).mapTo(String.class).list();
                  assertThat(String.join("\n", plan)).as(index.name()).contains(index.name());
                }
              });
    }
  }

  @Test
  void event_payloads_are_compressed_with_lz4() {
    try (TestStores.Location location = TestStores.fresh(StoreKind.POSTGRES);
        Database database = location.open()) {
      // A PostgreSQL built without lz4 keeps pglz, which the migration allows.
      boolean lz4 =
          one(
                  database,
                  "SELECT ('lz4' = ANY(enumvals))::text FROM pg_settings"
                      + " WHERE name = 'default_toast_compression'")
              .equals("true");
      assumeTrue(lz4, "this PostgreSQL was built without lz4");
      String method =
          one(
              database,
              "SELECT attcompression::text FROM pg_attribute"
                  + " WHERE attrelid = 'event'::regclass AND attname = 'payload'");
      assertThat(method).isEqualTo("l");
    }
  }

  private static String one(Database database, String sql) {
    return database.jdbi().withHandle(handle -> handle.createQuery(sql).mapTo(String.class).one());
  }

  private static String definition(Handle handle, String index) {
    return handle
        .createQuery(
            "SELECT replace(indexdef, ' ON ' || current_schema() || '.', ' ON ') FROM pg_indexes"
                + " WHERE schemaname = current_schema()"
                + " AND indexname = :index")
        .bind("index", index)
        .mapTo(String.class)
        .one();
  }
}
