package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullroute.admin.JdbiAdminRepository;
import io.pullroute.auth.Principal;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The transactional outbox: a command that fails after writing its state change and its events
 * leaves neither behind.
 */
class OutboxTest {

  /** A repository whose transactions fail after their work, just before commit. */
  private record FailingBeforeCommit(RoutingRepository delegate) implements RoutingRepository {
    @Override
    public <T> T inTransaction(Function<Tx, T> work) {
      return delegate.inTransaction(
          tx -> {
            work.apply(tx);
            throw new IllegalStateException("injected failure before commit");
          });
    }

    // Reads go to the real repository.
    @Override
    public java.util.Optional<Conversation> conversation(String orgId, String id) {
      return delegate.conversation(orgId, id);
    }

    @Override
    public java.util.Optional<String> orgOf(String conversationId) {
      return delegate.orgOf(conversationId);
    }

    @Override
    public java.util.Optional<Conversation> byIdempotencyKey(String channelId, String key) {
      return delegate.byIdempotencyKey(channelId, key);
    }

    @Override
    public java.util.List<Conversation> openOnList(
        String orgId, String listId, Set<ConversationState> states) {
      return delegate.openOnList(orgId, listId, states);
    }

    @Override
    public java.util.List<Message> messages(String orgId, String conversationId) {
      return delegate.messages(orgId, conversationId);
    }

    @Override
    public java.util.Optional<String> heldBy(String orgId, String conversationId) {
      return delegate.heldBy(orgId, conversationId);
    }

    @Override
    public java.util.List<Conversation> pulledBy(String orgId, String userId) {
      return delegate.pulledBy(orgId, userId);
    }

    @Override
    public Set<String> subscribedLists(String userId) {
      return delegate.subscribedLists(userId);
    }

    @Override
    public Set<String> subscribers(String listId) {
      return delegate.subscribers(listId);
    }

    @Override
    public java.util.List<String> conversationsOf(String userId) {
      return delegate.conversationsOf(userId);
    }

    @Override
    public io.pullroute.events.Joined joined(String userId) {
      return delegate.joined(userId);
    }

    @Override
    public java.util.Optional<AgentState> agentState(String userId) {
      return delegate.agentState(userId);
    }

    @Override
    public java.util.List<String> dueReminders(java.time.Instant now, int limit) {
      return delegate.dueReminders(now, limit);
    }

    @Override
    public java.util.List<String> dueForInactivity(java.time.Instant now, int limit) {
      return delegate.dueForInactivity(now, limit);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void a_command_that_fails_after_writing_state_publishes_nothing(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      RoutingFixture org = new RoutingFixture(server.http(), "outbox");
      String id = org.intake(org.webChannel, 0);
      var jdbi = server.server().database().jdbi();
      RoutingService failing =
          new RoutingService(
              new FailingBeforeCommit(
                  new JdbiRoutingRepository(
                      jdbi, server.clock(), server.server().database().dialect())),
              new JdbiAdminRepository(jdbi, server.server().database().dialect()));
      Principal agent = org.agent("a1");

      long before = EventsSeen.mark(server.server());
      assertThatThrownBy(() -> failing.join(agent, id, "outbox-test"))
          .hasMessageContaining("injected failure");
      assertThatThrownBy(() -> failing.close(agent, id, "outbox-test"));

      assertThat(EventsSeen.mark(server.server())).isEqualTo(before);
      assertThat(EventsSeen.after(server.server(), org.orgId, before)).isEmpty();
      var conversation = org.read(id);
      assertThat(conversation.get("state").asText()).isEqualTo("UNREAD");
      assertThat(conversation.get("participants")).isEmpty();
      assertThat(org.http.get("/api/v1/me/state", org.token("a1")).json().get("conversations"))
          .isEmpty();

      // The same command through the real service commits both.
      assertThat(org.join("a1", id).status()).isEqualTo(200);
      assertThat(EventsSeen.after(server.server(), org.orgId, before)).isNotEmpty();
    }
  }
}
