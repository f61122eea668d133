package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The migrations apply on an empty store of each kind, and again without effect. */
class MigrationTest {
  private static final List<String> TABLES =
      List.of(
          "signing_key",
          "organization",
          "api_client",
          "app_user",
          "team",
          "team_member",
          "agent_group",
          "agent_group_member",
          "place_group",
          "place_group_place",
          "work_list",
          "channel",
          "conversation");

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void migrations_apply_on_an_empty_store_and_are_idempotent(StoreKind kind) {
    try (TestStores.Location location = TestStores.fresh(kind)) {
      try (Database database = location.open()) {
        for (String table : TABLES) {
          Integer rows =
              database
                  .jdbi()
                  .withHandle(
                      handle ->
                          handle
                              .createQuery("SELECT COUNT(*) FROM " + table)
                              .mapTo(Integer.class)
                              .one());
          assertThat(rows).as(table).isZero();
        }
        assertThat(database.dialect())
            .isEqualTo(kind == StoreKind.H2 ? Dialect.H2 : Dialect.POSTGRES);
      }
      try (Database again = location.open()) {
        Integer applied =
            again
                .jdbi()
                .withHandle(
                    handle ->
                        handle
                            .createQuery(
                                "SELECT COUNT(*) FROM flyway_schema_history WHERE success = TRUE AND type = 'SQL'")
                            .mapTo(Integer.class)
                            .one());
        assertThat(applied).isEqualTo(migrationFiles(again.dialect()).size());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void the_event_log_is_indexed_by_its_sequence_alone(StoreKind kind) throws Exception {
    // Every event written pays an entry in each index of its table, and it is read by seq only.
    try (TestStores.Location location = TestStores.fresh(kind);
        Database database = location.open()) {
      List<String> indexed =
          database
              .jdbi()
              .<List<String>, java.sql.SQLException>withHandle(
                  handle -> {
                    java.sql.Connection connection = handle.getConnection();
                    List<String> columns = new java.util.ArrayList<>();
                    try (java.sql.ResultSet indexes =
                        connection
                            .getMetaData()
                            .getIndexInfo(null, connection.getSchema(), "event", false, false)) {
                      while (indexes.next()) {
                        columns.add(
                            indexes.getString("COLUMN_NAME").toLowerCase(java.util.Locale.ROOT));
                      }
                    }
                    return columns;
                  });
      assertThat(indexed).containsExactly("seq");
    }
  }

  @Test
  void versions_are_not_repeated_across_the_folders_of_a_store() {
    // Flyway refuses two migrations of one version; the shared folder and PostgreSQL's own are
    // numbered in one sequence, and only a PostgreSQL test run would otherwise find a clash.
    for (Dialect dialect : Dialect.values()) {
      List<String> versions = new ArrayList<>();
      for (Path file : migrationFiles(dialect)) {
        String name = file.getFileName().toString();
        versions.add(name.substring(1, name.indexOf("__")));
      }
      assertThat(versions).as(dialect.name()).isNotEmpty().doesNotHaveDuplicates();
    }
  }

  @Test
  void a_postgresql_older_than_the_migrations_need_is_refused_by_name() {
    assertThatThrownBy(() -> Database.requireSupported(13, "13.16"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "PostgreSQL 14 or newer is needed; the store at --db-url (PULLROUTE_DB_URL) is"
                + " PostgreSQL 13.16");
    assertThatCode(() -> Database.requireSupported(14, "14.0")).doesNotThrowAnyException();
  }

  /** The SQL migrations in every location a store of {@code dialect} is migrated from. */
  private static List<Path> migrationFiles(Dialect dialect) {
    List<Path> found = new ArrayList<>();
    for (String location : Database.migrations(dialect)) {
      String folder = "/" + location.substring("classpath:".length());
      try (var files = Files.list(Path.of(MigrationTest.class.getResource(folder).toURI()))) {
        files.filter(path -> path.toString().endsWith(".sql")).forEach(found::add);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return found;
  }
}
