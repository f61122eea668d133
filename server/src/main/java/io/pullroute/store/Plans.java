package io.pullroute.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;
import org.postgresql.PGStatement;

/**
 * How PostgreSQL plans the server's statements. A server connection plans every statement for its
 * arguments ({@code plan_cache_mode = force_custom_plan}, see {@link Database}): a generic plan
 * kept from the time a table was small can scan the whole table on every run once it has grown,
 * until the next ANALYZE, and without autovacuum none comes.
 *
 * <p>A transaction that changes requests (a claim, a join) keeps plans instead ({@link
 * #keptInTransaction}). The statements it runs by key then reuse theirs, and so do the foreign-key
 * checks PostgreSQL runs for its inserts and updates, which it would otherwise plan again for every
 * row: planning was about 30 % of PostgreSQL's CPU per claim in the claim benchmark, two fifths of
 * that for those checks (bench/REPORT.md, session 23). Its statements whose best plan depends on a
 * table's size are still planned on every run ({@link #EVERY_RUN}): an {@code EXISTS} guard (its
 * generic plan scans for the first row, on the table's early size), a read of several rows by
 * {@code ANY} or through a join, a count over a non-unique key. A lookup, update or delete by a
 * primary or unique key keeps its plan. No effect on the embedded store.
 */
public final class Plans {
  private Plans() {}

  /**
   * Plans a statement for its arguments on every run, also in a transaction that keeps plans: the
   * driver sends it unnamed ({@code prepareThreshold} 0), and PostgreSQL plans an unnamed statement
   * each time it is bound.
   */
  public static final StatementCustomizer EVERY_RUN =
      new StatementCustomizer() {
        @Override
        public void beforeExecution(PreparedStatement statement, StatementContext context)
            throws SQLException {
          if (statement.isWrapperFor(PGStatement.class)) {
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
          }
        }
      };

  /**
   * Makes the transaction of {@code handle} keep plans until it ends ({@code SET LOCAL
   * plan_cache_mode = auto}, PostgreSQL's own default); its connection then plans every statement
   * again. Nothing on the embedded store.
   */
  public static void keptInTransaction(Handle handle, Dialect dialect) {
    if (dialect == Dialect.POSTGRES) {
      handle.execute("SET LOCAL plan_cache_mode = auto");
    }
  }
}
