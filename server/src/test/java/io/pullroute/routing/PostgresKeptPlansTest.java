package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.routing.RoutingRepository.Grouped;
import io.pullroute.routing.RoutingRepository.Locks;
import io.pullroute.store.Dialect;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a routing transaction keeps the plans of what it runs by key, the foreign-key
 * checks of its writes among them ({@link io.pullroute.store.Plans}); once it ends, its connection
 * plans every statement again.
 */
class PostgresKeptPlansTest {
  @Test
  void pulls_keep_the_plans_of_their_foreign_key_checks_and_the_connection_plans_again_after() {
    try (TestServer server = TestServer.start(StoreKind.POSTGRES)) {
      RoutingFixture org = new RoutingFixture(server.http(), "kept-plans");
      List<String> requests = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        requests.add(org.intake(org.webChannel, 0));
      }
      String a1 = org.id("a1");
      // One connection of the server's pool for every transaction: plans are kept per connection.
      try (Handle connection = server.server().database().jdbi().open()) {
        Connection only = connection.getConnection();
        Jdbi onOne =
            Jdbi.create(
                new ConnectionFactory() {
                  @Override
                  public Connection openConnection() {
                    return only;
                  }

                  @Override
                  public void closeConnection(Connection unused) {
                    // It stays open: the test's handle closes it.
                  }
                });
        onOne.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
        RoutingRepository repository =
            new JdbiRoutingRepository(onOne, server.clock(), Dialect.POSTGRES);
        for (String id : requests) {
          List<RuntimeException> failures =
              repository.inGroupTransaction(
                  List.of(
                      new Grouped(
                          org.orgId,
                          "pull " + id,
                          Locks.of(id, a1),
                          tx -> {
                            Conversation locked = tx.lockConversation(org.orgId, id).orElseThrow();
                            Participant participant = new Participant(a1, "a1", tx.now());
                            assertThat(tx.claim(id, a1, locked.join(participant))).isTrue();
                            tx.addParticipant(id, participant);
                            return List.of();
                          })));
          assertThat(failures).containsOnlyNulls();
        }

        // A kept plan has a memory context of its own, named after its statement. The checks: the
        // participant's request and user, the request's new holder.
        List<String> kept =
            connection
                .createQuery(
                    "SELECT ident FROM pg_backend_memory_contexts WHERE name = 'CachedPlan'"
                        + " AND ident LIKE '%FOR KEY SHARE%'")
                .mapTo(String.class)
                .list();
        assertThat(kept)
            .anySatisfy(check -> assertThat(check).contains(".\"conversation\" x"))
            .anySatisfy(check -> assertThat(check).contains(".\"app_user\" x"));
        assertThat(connection.createQuery("SHOW plan_cache_mode").mapTo(String.class).one())
            .isEqualTo("force_custom_plan");
      }
    }
  }
}
