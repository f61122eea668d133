package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullroute.testing.StatementCounts;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Held writes run as batches, one per kind of statement, and writes of a row keep their order. */
class HeldWritesTest {
  private static final String APPEND_ONE = "UPDATE held_test SET v = v * 10 + 1 WHERE id = :id";
  private static final String APPEND_TWO = "UPDATE held_test SET v = v * 10 + 2 WHERE id = :id";

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void writes_of_a_kind_share_a_batch_and_writes_of_a_row_keep_their_order(StoreKind store) {
    onTable(
        store,
        handle -> {
          handle.execute("INSERT INTO held_test (id, v) VALUES (1, 0), (2, 0), (3, 0)");
          AtomicInteger executions = StatementCounts.on(handle).finished(statement -> true);
          HeldWrites held = new HeldWrites();
          hold(held, APPEND_ONE, 1);
          hold(held, APPEND_TWO, 1);
          hold(held, APPEND_ONE, 2);
          hold(held, APPEND_ONE, 3);
          // Row 1 again with the first kind: it must not join that kind's first batch, which runs
          // before the second kind's.
          hold(held, APPEND_ONE, 1);

          held.run(handle, 0, held.size());
          int ran = executions.get();

          assertThat(value(handle, 1)).isEqualTo(121);
          assertThat(value(handle, 2)).isEqualTo(1);
          assertThat(value(handle, 3)).isEqualTo(1);
          // [one: rows 1, 2, 3] [two: row 1] [one: row 1]; one by one it would be five.
          assertThat(ran).isEqualTo(3);
          assertThat(held.size()).isZero();
        });
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_write_that_must_change_one_row_and_changes_none_fails(StoreKind store) {
    onTable(
        store,
        handle -> {
          HeldWrites held = new HeldWrites();
          held.hold(APPEND_ONE, "row 9", batch -> batch.bind("id", 9), true);

          assertThatThrownBy(() -> held.run(handle, 0, held.size()))
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("row 9");
        });
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void dropped_writes_never_run(StoreKind store) {
    onTable(
        store,
        handle -> {
          handle.execute("INSERT INTO held_test (id, v) VALUES (1, 0)");
          HeldWrites held = new HeldWrites();
          hold(held, APPEND_ONE, 1);
          hold(held, APPEND_TWO, 1);
          held.dropFrom(1);

          held.run(handle, 0, held.size());

          assertThat(value(handle, 1)).isEqualTo(1);
        });
  }

  /** Runs {@code test} with a handle on a fresh store that has the table {@code held_test}. */
  private static void onTable(StoreKind store, Consumer<Handle> test) {
    try (TestServer server = TestServer.start(store);
        Handle handle = server.server().database().jdbi().open()) {
      handle.execute("CREATE TABLE held_test (id INTEGER PRIMARY KEY, v BIGINT NOT NULL)");
      test.accept(handle);
    }
  }

  private static void hold(HeldWrites held, String sql, int id) {
    held.hold(sql, "row " + id, batch -> batch.bind("id", id), true);
  }

  private static long value(Handle handle, int id) {
    return handle
        .createQuery("SELECT v FROM held_test WHERE id = :id")
        .bind("id", id)
        .mapTo(Long.class)
        .one();
  }
}
