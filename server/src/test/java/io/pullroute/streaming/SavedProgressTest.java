package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A session's cursor and last poll in the store only move forward: nodes sharing the store write
 * them in batches, and a node that served the session earlier may write after one that served it
 * later. But for a cursor a node took back on purpose (a change of what the session hears).
 */
class SavedProgressTest {
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void an_earlier_cursor_and_last_poll_written_later_do_not_take_them_back(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      JdbiStreamingRepository repository =
          new JdbiStreamingRepository(server.server().database().jdbi());
      String orgId = server.http().createOrganization("saved-progress").orgId();
      Instant created = Instant.parse("2026-01-01T00:00:00Z");
      repository.insert(
          new StreamingSession("progress", orgId, "owner", 3, 300, false, created), 0);
      Instant later = created.plusSeconds(60);

      repository.saveProgress(Map.of("progress", new StreamingRepository.Progress(20, later)));
      repository.saveProgress(
          Map.of("progress", new StreamingRepository.Progress(10, created.plusSeconds(30))));

      StreamingRepository.StoredSession stored = repository.find("progress").orElseThrow();
      assertThat(stored.cursor()).isEqualTo(20);
      assertThat(stored.lastPoll()).isEqualTo(later);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_cursor_taken_back_is_written_back(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      JdbiStreamingRepository repository =
          new JdbiStreamingRepository(server.server().database().jdbi());
      String orgId = server.http().createOrganization("saved-back").orgId();
      Instant created = Instant.parse("2026-01-01T00:00:00Z");
      repository.insert(new StreamingSession("back", orgId, "owner", 3, 300, false, created), 0);
      Instant later = created.plusSeconds(60);

      repository.saveProgress(Map.of("back", new StreamingRepository.Progress(20, later)));
      repository.saveProgress(
          Map.of("back", new StreamingRepository.Progress(10, created.plusSeconds(30), true)));

      StreamingRepository.StoredSession stored = repository.find("back").orElseThrow();
      assertThat(stored.cursor()).isEqualTo(10);
      assertThat(stored.lastPoll()).as("still only forward").isEqualTo(later);
    }
  }
}
