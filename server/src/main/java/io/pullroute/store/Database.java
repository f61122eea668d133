package io.pullroute.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pullroute.config.Config;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;

/**
 * The relational store: a pooled data source, migrated by Flyway, used through Jdbi. H2 in file
 * mode by default, PostgreSQL when a {@code jdbc:postgresql:} URL is configured. Thread-safe.
 */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;

  /** The embedded store's file compaction; null on PostgreSQL. */
  private final EmbeddedCompaction compaction;

  private Database(HikariDataSource dataSource, Dialect dialect) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.compaction = dialect == Dialect.H2 ? new EmbeddedCompaction(dataSource) : null;
    this.jdbi = Jdbi.create(dataSource);
    // Statements share binding helpers; a value a statement does not use is not an error.
    jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
  }

  /** Opens the store described by {@code config} and applies pending migrations. */
  public static Database open(Config config) {
    String url = config.dbUrl() != null ? config.dbUrl() : embeddedUrl(config.dataDir());
    return open(url, config.dbUser(), config.dbPassword(), null);
  }

  /**
   * Opens a store, optionally confined to one PostgreSQL {@code schema} (created when missing); the
   * tests use that to give each server a store of its own inside one database.
   */
  public static Database open(String url, String user, String password, String schema) {
    Dialect dialect = Dialect.of(url);
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(url);
    if (user != null) {
      hikari.setUsername(user);
    }
    if (password != null) {
      hikari.setPassword(password);
    }
    hikari.setPoolName("pullroute");
    hikari.setMaximumPoolSize(16);
    hikari.setConnectionTimeout(10_000);
    if (dialect == Dialect.POSTGRES) {
      hikari.setConnectionInitSql(postgresSessionSql(schema));
      // A batch of inserts goes to PostgreSQL as multi-row INSERTs, not one statement per row:
      // a group of pulls appends ~6 events and a participant per pull, and PostgreSQL plans and
      // starts each statement anew (bench/REPORT.md, session 8). Rewritten rows answer
      // SUCCESS_NO_INFO for their update counts.
      hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
    } else if (schema != null) {
      hikari.setConnectionInitSql("SET search_path TO " + schema);
    }
    if (dialect == Dialect.POSTGRES) {
      requireSupportedPostgres(url, user, password);
    }
    Flyway.configure()
        .dataSource(url, user, password)
        .schemas(schema == null ? new String[0] : new String[] {schema})
        .createSchemas(true)
        .locations(migrations(dialect))
        .load()
        .migrate();
    return new Database(new HikariDataSource(hikari), dialect);
  }

  /**
   * The oldest PostgreSQL release the migrations run on: db/postgresql/V9 sets a column's
   * compression, which PostgreSQL has since release 14. CI runs release 15.
   */
  static final int OLDEST_POSTGRES = 14;

  /** Refuses, before any migration runs, a PostgreSQL older than {@link #OLDEST_POSTGRES}. */
  private static void requireSupportedPostgres(String url, String user, String password) {
    Properties credentials = new Properties();
    if (user != null) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
    try (Connection connection = DriverManager.getConnection(url, credentials)) {
      DatabaseMetaData store = connection.getMetaData();
      requireSupported(store.getDatabaseMajorVersion(), store.getDatabaseProductVersion());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the PostgreSQL store: " + e.getMessage(), e);
    }
  }

  static void requireSupported(int major, String version) {
    if (major < OLDEST_POSTGRES) {
      throw new IllegalStateException(
          "PostgreSQL "
              + OLDEST_POSTGRES
              + " or newer is needed; the store at --db-url (PULLROUTE_DB_URL) is PostgreSQL "
              + version);
    }
  }

  /**
   * Where the migrations of a store of {@code dialect} are: those of both stores, and on PostgreSQL
   * those H2 has no syntax for (partial indexes, say), numbered in the same sequence. Those change
   * how things are stored, not what: the tables and columns stay the same on both stores, but a
   * later shared migration that touches what V9 rebuilt must allow for either form (on PostgreSQL
   * {@code conversation_idempotency} is a unique index, on H2 a unique constraint).
   */
  static String[] migrations(Dialect dialect) {
    return dialect == Dialect.POSTGRES
        ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
        : new String[] {"classpath:db/migration"};
  }

  /**
   * What every PostgreSQL connection sets first. Statements are planned for their parameters on
   * every run ({@code plan_cache_mode = force_custom_plan}): a prepared statement's generic plan is
   * chosen once, on the table sizes of that moment, and kept by the connection; a plan chosen while
   * {@code participant} had a few rows scanned the whole table on every claim once it had
   * thousands, until the next ANALYZE. That tripled the store's CPU per claim in some benchmark
   * runs (bench/REPORT.md); planning these statements costs far less than one such scan. Routing's
   * transactions keep plans for what they run by key ({@link Plans}).
   */
  static String postgresSessionSql(String schema) {
    String sql = "SET plan_cache_mode = force_custom_plan";
    return schema == null ? sql : sql + "; SET search_path TO " + schema;
  }

  /**
   * The embedded store in {@code dataDir}. Row locks wait up to 10 s (H2's default is 1 s), so a
   * burst of agents racing for one request queues instead of failing. {@code WRITE_DELAY=0} writes
   * every commit to the file at once (H2 defaults to 500 ms), so a killed process loses no
   * committed transaction. {@code QUERY_CACHE_SIZE=256} keeps every statement the server runs
   * parsed per connection (H2 keeps 8, and a pull alone runs more than that). {@code
   * PAGE_SIZE=4096} splits the store's B-tree pages at 4 KB instead of 16 KB: a commit writes every
   * page it changed whole, and a group of pulls changes a page in each of the request table's
   * indexes per pull; in 7 of 7 side-by-side claim runs pullroute claimed more with it (medians
   * ~1,670 against ~1,435 a second, its server's CPU per claim 11 % lower; bench/REPORT.md, session
   * 12).
   */
  public static String embeddedUrl(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve("pullroute");
    return "jdbc:h2:file:"
        + file
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH"
        + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;WRITE_DELAY=0;QUERY_CACHE_SIZE=256"
        + ";PAGE_SIZE=4096";
  }

  /** Whether this store's file is compacted as it runs (the embedded store's is). */
  boolean compacted() {
    return compaction != null;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  public Dialect dialect() {
    return dialect;
  }

  @Override
  public void close() {
    if (compaction != null) {
      compaction.close();
    }
    // Closing the pool closes the last connection, which closes an embedded H2 file cleanly.
    dataSource.close();
  }
}
