package io.pullroute.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jdbi.v3.core.config.Configurable;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Counts the statements a store (a {@code Jdbi}) or one handle runs from {@link #on} until {@link
 * #close}, a batch once: each counter those that match its test, when they start or when they have
 * run. It is the store's one SQL logger meanwhile.
 */
public final class StatementCounts implements SqlLogger, AutoCloseable {
  private record Counter(Predicate<StatementContext> which, AtomicInteger count) {}

  private final Configurable<?> counted;
  private final List<Counter> started = new CopyOnWriteArrayList<>();
  private final List<Counter> finished = new CopyOnWriteArrayList<>();

  private StatementCounts(Configurable<?> counted) {
    this.counted = counted;
  }

  /** Starts counting on {@code counted}: no counter yet. */
  public static StatementCounts on(Configurable<?> counted) {
    StatementCounts counts = new StatementCounts(counted);
    counted.getConfig(SqlStatements.class).setSqlLogger(counts);
    return counts;
  }

  /** Statements whose SQL, as written, starts with {@code prefix}. */
  public static Predicate<StatementContext> sqlStartingWith(String prefix) {
    return context -> context.getRawSql().startsWith(prefix);
  }

  /** Counts the statements that match {@code which} as they start (before they may block). */
  public AtomicInteger started(Predicate<StatementContext> which) {
    return add(started, which);
  }

  /** Counts the statements that match {@code which} once they have run. */
  public AtomicInteger finished(Predicate<StatementContext> which) {
    return add(finished, which);
  }

  private static AtomicInteger add(List<Counter> counters, Predicate<StatementContext> which) {
    AtomicInteger count = new AtomicInteger();
    counters.add(new Counter(which, count));
    return count;
  }

  @Override
  public void logBeforeExecution(StatementContext context) {
    count(started, context);
  }

  @Override
  public void logAfterExecution(StatementContext context) {
    count(finished, context);
  }

  private static void count(List<Counter> counters, StatementContext context) {
    for (Counter counter : counters) {
      if (counter.which.test(context)) {
        counter.count.incrementAndGet();
      }
    }
  }

  /** Stops counting: the store logs no SQL again. */
  @Override
  public void close() {
    counted.getConfig(SqlStatements.class).setSqlLogger(SqlLogger.NOP_SQL_LOGGER);
  }
}
