package io.pullroute.events;

import static io.pullroute.testing.StatementCounts.sqlStartingWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.http.Json;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StatementCounts;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Publishes that arrive while one commits share the next transaction, each with its own event. */
class EventPublisherTest {
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void publishes_arriving_during_a_commit_are_appended_together_in_the_next(StoreKind store)
      throws Exception {
    try (TestServer server = TestServer.start(store)) {
      Jdbi jdbi = server.server().database().jdbi();
      EventPublisher publisher = new EventPublisher(jdbi, EventCatalog.load(), server.clock());
      String orgId = server.http().createOrganization("publish-group").orgId();
      long mark = EventsSeen.mark(server.server());
      List<Future<Event>> published = new ArrayList<>();
      StatementCounts counts = StatementCounts.on(jdbi);
      AtomicInteger sequenced = counts.started(sqlStartingWith("UPDATE event_sequence"));
      AtomicInteger inserts = counts.finished(sqlStartingWith("INSERT INTO event "));
      try (counts;
          ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
          Handle blocker = jdbi.open()) {
        // The first publish waits for the sequence row, which another transaction holds; the
        // five that come meanwhile wait for their group.
        blocker.begin();
        blocker
            .createQuery("SELECT last_seq FROM event_sequence WHERE id = 1 FOR UPDATE")
            .mapTo(Long.class)
            .one();
        published.add(callers.submit(() -> publish(publisher, orgId, 0)));
        await().atMost(Duration.ofSeconds(10)).until(() -> sequenced.get() == 1);
        for (int i = 1; i < 6; i++) {
          int record = i;
          published.add(callers.submit(() -> publish(publisher, orgId, record)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.waiting() == 5);
        blocker.commit();
        for (Future<Event> event : published) {
          event.get();
        }
      }

      // One insert for the first publish's transaction, one for the five after it.
      assertThat(inserts.get()).isEqualTo(2);
      List<Event> logged = EventsSeen.after(server.server(), orgId, mark);
      assertThat(logged).hasSize(6);
      for (int i = 0; i < 6; i++) {
        Event mine = published.get(i).get();
        assertThat(EventsSeen.payload(mine).get("recordNumber").asInt()).isEqualTo(i);
        assertThat(logged).contains(mine);
      }
      assertThat(logged.getFirst()).isEqualTo(published.getFirst().get());
    }
  }

  private static Event publish(EventPublisher publisher, String orgId, int recordNumber) {
    JsonNode payload =
        Json.newMapper()
            .valueToTree(
                Map.of(
                    "requestId", "f39a122c-873f-47f7-8724-c9efdb9d8915",
                    "sessionId", "4c471477-feec-4357-b84e-065a4fabe649",
                    "fastPathListName", "01_Fastpath_MK",
                    "message", "FastPath record inserted to fastpathrecinfo table",
                    "recordNumber", recordNumber));
    return publisher.publish(
        orgId, "outreach.status", "campaigns", "c1", "publish-" + recordNumber, payload);
  }
}
