package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.Forbidden;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DESIGN.md §4.4: every transition and every refusal of the request state machine. */
class ConversationStateMachineTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Participant ANN = new Participant("ann", "ann", T0);
  private static final Participant BOB = new Participant("bob", "bob", T0.plusSeconds(1));

  private static Conversation unread() {
    return new Conversation(
        "c1",
        "org",
        1,
        "list",
        "channel",
        ConversationState.UNREAD,
        0,
        null,
        null,
        null,
        List.of(),
        T0,
        T0,
        null,
        null);
  }

  @Test
  void unread_join_becomes_active_with_the_agent_as_participant() {
    Conversation active = unread().join(ANN);
    assertThat(active.state()).isEqualTo(ConversationState.ACTIVE);
    assertThat(active.participants()).containsExactly(ANN);
  }

  @Test
  void active_join_by_another_agent_stays_active_with_both() {
    Conversation both = unread().join(ANN).join(BOB);
    assertThat(both.state()).isEqualTo(ConversationState.ACTIVE);
    assertThat(both.participants()).containsExactly(ANN, BOB);
  }

  @Test
  void active_leave_by_one_of_two_stays_active() {
    Conversation left = unread().join(ANN).join(BOB).leave("ann");
    assertThat(left.state()).isEqualTo(ConversationState.ACTIVE);
    assertThat(left.participants()).containsExactly(BOB);
  }

  @Test
  void active_leave_by_the_last_participant_becomes_inactive() {
    Conversation inactive = unread().join(ANN).leave("ann");
    assertThat(inactive.state()).isEqualTo(ConversationState.INACTIVE);
    assertThat(inactive.participants()).isEmpty();
  }

  @Test
  void inactive_join_becomes_active_again() {
    Conversation again = unread().join(ANN).leave("ann").join(BOB);
    assertThat(again.state()).isEqualTo(ConversationState.ACTIVE);
    assertThat(again.participants()).containsExactly(BOB);
  }

  @Test
  void every_open_state_closes_and_participants_leave_with_it() {
    List<Conversation> open =
        List.of(unread(), unread().join(ANN), unread().join(ANN).leave("ann"));
    for (Conversation conversation : open) {
      Conversation closed = conversation.close(T0.plusSeconds(60), "ann");
      assertThat(closed.state()).isEqualTo(ConversationState.CLOSED);
      assertThat(closed.participants()).isEmpty();
      assertThat(closed.closedAt()).isEqualTo(T0.plusSeconds(60));
      assertThat(closed.closedBy()).isEqualTo("ann");
    }
  }

  @Test
  void closed_refuses_join_leave_close_and_messages_with_a_conflict() {
    Conversation closed = unread().join(ANN).close(T0, "ann");
    assertThatThrownBy(() -> closed.join(BOB)).isInstanceOf(Conflict.class);
    assertThatThrownBy(() -> closed.leave("ann")).isInstanceOf(Conflict.class);
    assertThatThrownBy(() -> closed.close(T0, "bob")).isInstanceOf(Conflict.class);
    assertThatThrownBy(closed::checkCustomerMessage).isInstanceOf(Conflict.class);
    assertThatThrownBy(() -> closed.checkAgentMessage("ann")).isInstanceOf(Conflict.class);
  }

  @Test
  void leaving_without_being_a_participant_is_a_conflict() {
    assertThatThrownBy(() -> unread().leave("ann")).isInstanceOf(Conflict.class);
    assertThatThrownBy(() -> unread().join(BOB).leave("ann")).isInstanceOf(Conflict.class);
  }

  @Test
  void only_participants_may_write_but_the_customer_may_in_every_open_state() {
    Conversation active = unread().join(ANN);
    active.checkAgentMessage("ann");
    assertThatThrownBy(() -> active.checkAgentMessage("bob")).isInstanceOf(Forbidden.class);
    unread().checkCustomerMessage();
    active.checkCustomerMessage();
    active.leave("ann").checkCustomerMessage();
  }

  @Test
  void a_state_that_disagrees_with_its_participants_cannot_exist() {
    assertThatThrownBy(
            () ->
                new Conversation(
                    "c",
                    "org",
                    1,
                    "l",
                    "ch",
                    ConversationState.ACTIVE,
                    0,
                    null,
                    null,
                    null,
                    List.of(),
                    T0,
                    T0,
                    null,
                    null))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                new Conversation(
                    "c",
                    "org",
                    1,
                    "l",
                    "ch",
                    ConversationState.INACTIVE,
                    0,
                    null,
                    null,
                    null,
                    List.of(ANN),
                    T0,
                    T0,
                    null,
                    null))
        .isInstanceOf(IllegalStateException.class);
  }
}
