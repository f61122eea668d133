package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.auth.Principal;
import io.pullroute.config.Config;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What a user hears is cached for seconds, and forgotten when it changes. Keys read while a change
 * happens are not cached: the change's commit may come after the reads and its forgetting before
 * they are cached, which left them stale for the cache's lifetime.
 */
class AudienceCacheTest {
  @Test
  void keys_read_while_the_audience_changes_are_read_again_at_the_next_poll() throws Exception {
    try (TestServer server = TestServer.start(StoreKind.H2)) {
      String orgId = server.http().createOrganization("audience-cache").orgId();
      AtomicInteger reads = new AtomicInteger();
      AtomicReference<StreamingService> service = new AtomicReference<>();
      StreamingService.Directory directory =
          new StreamingService.Directory() {
            @Override
            public Set<String> subscribedLists(String userId) {
              if (reads.incrementAndGet() == 1) {
                // The user subscribes meanwhile: committed after this read, announced now.
                service.get().audienceChanged(userId);
              }
              return Set.of();
            }

            @Override
            public List<String> conversationsOf(String userId) {
              return List.of();
            }

            @Override
            public boolean mayWorkOn(Principal principal, String listId) {
              return true;
            }

            @Override
            public boolean isParticipant(Principal principal, String conversationId) {
              return true;
            }
          };
      try (StreamingService streaming =
          new StreamingService(
              new JdbiStreamingRepository(server.server().database().jdbi()),
              directory,
              server.server().hub(),
              type -> true,
              server.clock(),
              Duration.ofMillis(1),
              Config.StreamingLimits.DEFAULT,
              Duration.ZERO)) {
        service.set(streaming);
        Principal agent =
            new Principal(
                Principal.Kind.USER, orgId, "u1", "agent", Set.of("agent"), Set.of("streamingapi"));
        String session = streaming.create(agent, 3, null, false).id();

        streaming.poll(agent, 3, session, 1).get(10, TimeUnit.SECONDS);
        streaming.poll(agent, 3, session, 1).get(10, TimeUnit.SECONDS);

        assertThat(reads).as("the user's lists read at each poll").hasValue(2);
      }
    }
  }
}
