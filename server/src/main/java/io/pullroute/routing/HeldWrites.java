package io.pullroute.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Writes of a transaction held back, then run as batches: one batch per kind of statement, one
 * round trip to the store each, instead of one per write. The transaction runs them before any
 * statement that could see them, so it reads what it wrote.
 *
 * <p>Writes of the same row keep their order. Writes of different rows may be reordered, so that
 * writes of the same kind go in one batch: each write names the row it changes (a request, say),
 * and a write is only ever moved ahead of writes of other rows. A write must not depend on a write
 * of another row held before it (no write here does: they change rows read with their locks, and
 * rows they refer to exist before any of them is held). Not thread-safe.
 */
final class HeldWrites {
  /**
   * A held write: its SQL, the row it changes, its arguments; with {@code exactlyOne}, it must
   * change exactly one row, else the transaction fails.
   */
  private record Write(
      String sql, String row, Consumer<PreparedBatch> arguments, boolean exactlyOne) {}

  private final List<Write> writes = new ArrayList<>();

  void hold(String sql, String row, Consumer<PreparedBatch> arguments, boolean exactlyOne) {
    writes.add(new Write(sql, row, arguments, exactlyOne));
  }

  int size() {
    return writes.size();
  }

  /** Forgets the writes from {@code index} on (those of a command that threw). */
  void dropFrom(int index) {
    writes.subList(index, writes.size()).clear();
  }

  /**
   * Runs the writes {@code from} … {@code to - 1} in {@code handle} and forgets them, also when one
   * fails (the transaction is then not to be trusted).
   */
  void run(Handle handle, int from, int to) {
    List<Write> running = writes.subList(from, to);
    // A write runs in the level of the row's previous write when it is of the same kind (the same
    // batch, which keeps their order), else in the next level; each level runs after the one
    // before, one batch per kind. A pull's claim, participant and state are three levels: three
    // batches for a group's pulls.
    List<Map<String, List<Write>>> levels = new ArrayList<>();
    Map<String, Write> lastOfRow = new HashMap<>();
    Map<Write, Integer> levelOf = new java.util.IdentityHashMap<>();
    for (Write write : running) {
      Write previous = lastOfRow.get(write.row());
      int level =
          previous == null
              ? 0
              : levelOf.get(previous) + (previous.sql().equals(write.sql()) ? 0 : 1);
      if (level == levels.size()) {
        levels.add(new LinkedHashMap<>());
      }
      levels.get(level).computeIfAbsent(write.sql(), kind -> new ArrayList<>()).add(write);
      levelOf.put(write, level);
      lastOfRow.put(write.row(), write);
    }
    try {
      for (Map<String, List<Write>> level : levels) {
        for (List<Write> batch : level.values()) {
          execute(handle, batch);
        }
      }
    } finally {
      // Run or failed, never again: after a failure the transaction must not go on (the caller
      // fails it as a whole).
      running.clear();
    }
  }

  private static void execute(Handle handle, List<Write> batch) {
    PreparedBatch statement = handle.prepareBatch(batch.getFirst().sql());
    for (Write write : batch) {
      write.arguments().accept(statement);
      statement.add();
    }
    int[] changed = statement.execute();
    for (int i = 0; i < batch.size(); i++) {
      // JDBC may answer SUCCESS_NO_INFO (-2) for a batched statement: no count to check.
      if (batch.get(i).exactlyOne() && changed[i] != 1 && changed[i] >= 0) {
        throw new IllegalStateException(
            "a held write of "
                + batch.get(i).row()
                + " changed "
                + changed[i]
                + " rows, not 1; this indicates a bug");
      }
    }
  }
}
