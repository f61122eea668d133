package io.pullroute.store;

import java.sql.SQLException;

/** Translates driver failures into what they mean; the one place that reads SQL states. */
public final class StoreErrors {
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String FOREIGN_KEY_VIOLATION = "23503";
  // H2 reports a foreign-key violation on delete of a referenced row as 23503 too, but
  // with its own code 23003 in older modes; both are treated alike.
  private static final String H2_REFERENTIAL_INTEGRITY = "23003";

  private StoreErrors() {}

  /** Whether {@code failure} was caused by a unique constraint. */
  public static boolean isUniqueViolation(Throwable failure) {
    return hasState(failure, UNIQUE_VIOLATION);
  }

  /** Whether {@code failure} was caused by a foreign key (a row still referenced, or missing). */
  public static boolean isForeignKeyViolation(Throwable failure) {
    return hasState(failure, FOREIGN_KEY_VIOLATION) || hasState(failure, H2_REFERENTIAL_INTEGRITY);
  }

  /**
   * Whether {@code failure} means the store is overloaded rather than wrong: no pooled connection
   * was free in time, or a {@link Turns turn} was not had in time. Such a request may be retried.
   */
  public static boolean isOverloaded(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof java.sql.SQLTransientConnectionException
          || cause instanceof Turns.Timeout) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasState(Throwable failure, String state) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SQLException sql) {
        for (SQLException next = sql; next != null; next = next.getNextException()) {
          if (state.equals(next.getSQLState())) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
