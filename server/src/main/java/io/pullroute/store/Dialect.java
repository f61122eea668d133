package io.pullroute.store;

/** The SQL dialects pullroute runs on; differences between them are kept here. */
public enum Dialect {
  H2(1),
  POSTGRES(2);

  /**
   * Groups of routing commands a server runs at once (see docs/routing.md, "Group commit"). Two on
   * PostgreSQL, which then works on two groups on two of its processes: three quick runs of the
   * claim benchmark claimed 3,028–3,313 a second against 2,166–2,568 with one, run alternately
   * (bench/REPORT.md, session 10). One on the embedded store, which runs inside the server: with
   * two, three such runs claimed 2,162–2,317 a second against 3,121–3,349 with one, the server
   * spending about twice the CPU per claim.
   */
  private final int routingCommitters;

  Dialect(int routingCommitters) {
    this.routingCommitters = routingCommitters;
  }

  public int routingCommitters() {
    return routingCommitters;
  }

  /**
   * The lock a statement takes on the rows it reads so that no other transaction changes them until
   * its own ends, while others still read them and refer to them: PostgreSQL's {@code FOR SHARE}
   * (an insert whose foreign key names the row, a request's on its list, does not wait for it, and
   * readers that take it do not wait for each other). The embedded store has no shared row lock,
   * and its foreign keys lock nothing: {@code FOR UPDATE}.
   */
  public String sharedRowLock() {
    return this == POSTGRES ? "FOR SHARE" : "FOR UPDATE";
  }

  /**
   * The lock a statement takes on the row it reads so that transactions taking the same lock on it
   * run one after the other, while others still write rows that refer to it: PostgreSQL's {@code
   * FOR NO KEY UPDATE} (an insert whose foreign key names the row takes {@code FOR KEY SHARE},
   * which it does not wait for). The embedded store's foreign keys lock nothing: {@code FOR
   * UPDATE}.
   */
  public String rowLockForChange() {
    return this == POSTGRES ? "FOR NO KEY UPDATE" : "FOR UPDATE";
  }

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
