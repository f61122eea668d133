package io.pullroute.store;

/** The SQL dialects pullroute runs on; differences between them are kept here. */
public enum Dialect {
  H2,
  POSTGRES;

  static Dialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return H2;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRES;
    }
    throw new IllegalArgumentException(
        "unsupported --db-url '" + jdbcUrl + "': use jdbc:postgresql://… or leave it out for H2");
  }
}
