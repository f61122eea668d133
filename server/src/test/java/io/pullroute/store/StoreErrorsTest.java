package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pullroute.common.PullrouteException.MissingReference;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestStores;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The store's refusals, as each kind of store words them, read as what they mean. */
class StoreErrorsTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_write_referring_to_a_missing_row_is_a_missing_reference_naming_it(StoreKind kind) {
    try (TestStores.Location location = TestStores.fresh(kind);
        Database database = location.open()) {
      Throwable refused =
          refused(
              database,
              handle ->
                  handle.execute(
                      "INSERT INTO app_user (id, org_id, username, roles, created_at)"
                          + " VALUES ('u1', 'gone-org', 'a1', 'agent', ?)",
                      Instant.EPOCH));

      assertThat(StoreErrors.missingReference(refused))
          .get()
          .extracting(MissingReference::scope, MissingReference::getMessage)
          .containsExactly(
              "organization", "organization gone-org no longer exists (it was deleted meanwhile)");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_delete_of_a_row_still_referred_to_is_no_missing_reference(StoreKind kind) {
    try (TestStores.Location location = TestStores.fresh(kind);
        Database database = location.open()) {
      Throwable refused =
          refused(
              database,
              handle -> {
                handle.execute(
                    "INSERT INTO organization (id, api_key_hash, created_at)"
                        + " VALUES ('o1', 'h', ?)",
                    Instant.EPOCH);
                handle.execute(
                    "INSERT INTO app_user (id, org_id, username, roles, created_at)"
                        + " VALUES ('u1', 'o1', 'a1', 'agent', ?)",
                    Instant.EPOCH);
                handle.execute("DELETE FROM organization WHERE id = 'o1'");
              });

      assertThat(StoreErrors.isForeignKeyViolation(refused)).isTrue();
      assertThat(StoreErrors.missingReference(refused)).isEmpty();
    }
  }

  /** What the store threw when {@code statements} ran on {@code database}. */
  private static Throwable refused(
      Database database, org.jdbi.v3.core.HandleConsumer<RuntimeException> statements) {
    return catchThrowable(() -> database.jdbi().useHandle(statements));
  }
}
