package io.pullroute.store;

import io.pullroute.common.PullrouteException.MissingReference;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Translates driver failures into what they mean; the one place that reads SQL states. */
public final class StoreErrors {
  private static final String UNIQUE_VIOLATION = "23505";

  /**
   * A foreign key refused a statement: on both stores a delete of a row still referenced; on
   * PostgreSQL also a write referring to a row that does not exist (H2 has its own state for that).
   */
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  /** PostgreSQL's state for a transaction it rolled back to break a deadlock. */
  private static final String DEADLOCK = "40P01";

  /** H2's state for a deadlock, and PostgreSQL's for a serialization failure: run it again. */
  private static final String ROLLED_BACK_TO_RETRY = "40001";

  /** H2's state for a row written with a reference to a row that does not exist. */
  private static final String H2_PARENT_MISSING = "23506";

  /**
   * PostgreSQL's detail of a missing referenced row: {@code Key (user_id)=(…) is not present …}.
   */
  private static final Pattern POSTGRES_MISSING =
      Pattern.compile("Key \\([^)]*\\)=\\((.*)\\) is not present in table \"(\\w+)\"");

  /** H2's message of one: {@code … REFERENCES PUBLIC.APP_USER(ID) ('…')}. */
  private static final Pattern H2_MISSING =
      Pattern.compile("REFERENCES (?:\\w+\\.)?\"?(\\w+)\"?\\([^)]*\\) \\('?([^')]*)'?\\)");

  /** What each referenced table holds, as the API names it. */
  private static final Map<String, String> RESOURCES =
      Map.of(
          "app_user", "user",
          "channel", "channel",
          "work_list", "list",
          "conversation", "conversation",
          "organization", "organization",
          "agent_group", "agentGroup",
          "place_group", "placeGroup",
          "team", "team",
          "streaming_session", "session");

  private StoreErrors() {}

  /** Whether {@code failure} was caused by a unique constraint. */
  public static boolean isUniqueViolation(Throwable failure) {
    return hasState(failure, UNIQUE_VIOLATION);
  }

  /**
   * Whether {@code failure} was caused by a foreign key: a delete of a row still referenced (on
   * PostgreSQL, also a write referring to a missing row; see {@link #missingReference}).
   */
  public static boolean isForeignKeyViolation(Throwable failure) {
    return hasState(failure, FOREIGN_KEY_VIOLATION);
  }

  /**
   * Whether the store rolled back {@code failure}'s transaction to break a deadlock (PostgreSQL's
   * {@code 40P01}; H2's {@code 40001}, which is also PostgreSQL's serialization failure): the
   * transaction did nothing, and may run again.
   */
  public static boolean isDeadlock(Throwable failure) {
    return hasState(failure, DEADLOCK) || hasState(failure, ROLLED_BACK_TO_RETRY);
  }

  /**
   * What {@code failure} means when a write referred to a row that no longer exists (a foreign key
   * found its referenced row missing): a {@link MissingReference} naming it; else empty. A row
   * still referenced by others (a delete refused) is not one.
   */
  public static Optional<MissingReference> missingReference(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof SQLException sql) {
        for (SQLException next = sql; next != null; next = next.getNextException()) {
          Optional<MissingReference> missing = missingReference(next);
          if (missing.isPresent()) {
            return missing;
          }
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<MissingReference> missingReference(SQLException failure) {
    if (FOREIGN_KEY_VIOLATION.equals(failure.getSQLState())
        && failure instanceof org.postgresql.util.PSQLException postgres
        && postgres.getServerErrorMessage() != null
        && postgres.getServerErrorMessage().getDetail() != null) {
      Matcher detail = POSTGRES_MISSING.matcher(postgres.getServerErrorMessage().getDetail());
      if (detail.find()) {
        return Optional.of(missing(detail.group(2), detail.group(1)));
      }
    }
    if (H2_PARENT_MISSING.equals(failure.getSQLState()) && failure.getMessage() != null) {
      Matcher message = H2_MISSING.matcher(failure.getMessage());
      if (message.find()) {
        return Optional.of(missing(message.group(1), message.group(2)));
      }
    }
    return Optional.empty();
  }

  private static MissingReference missing(String table, String key) {
    String lower = table.toLowerCase(java.util.Locale.ROOT);
    return new MissingReference(RESOURCES.getOrDefault(lower, lower), key);
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
