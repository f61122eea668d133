package io.pullroute.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Reading column values the same way on H2 and PostgreSQL. */
public final class Rows {
  private Rows() {}

  /** A {@code TIMESTAMP WITH TIME ZONE} column as an instant, or null. */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }
}
