package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.events.Event;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Reminders and customer-inactivity closing, driven by moving the server's clock. */
@ParameterizedClass
@EnumSource(StoreKind.class)
class RoutingTimersTest {
  @Parameter StoreKind store;
  static TestServer server;
  static int orgs;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static List<Event> reminders(RoutingFixture org, long mark) {
    return EventsSeen.after(server.server(), org.orgId, mark).stream()
        .filter(event -> event.type().equals("pullMode.ListRequestUpdated"))
        .toList();
  }

  @Test
  void an_unread_request_is_reminded_every_n_seconds_until_someone_joins() {
    RoutingFixture org = new RoutingFixture(server.http(), "timers-" + ++orgs);
    assertThat(
            org.http
                .patch("/api/v1/lists/" + org.openList, org.admin, Map.of("reminderAfter", 60))
                .json()
                .get("reminderAfter")
                .asInt())
        .isEqualTo(60);
    String id = org.intake(org.openChannel, 0);
    long mark = EventsSeen.mark(server.server());

    server.clock().advance(Duration.ofSeconds(59));
    server.server().timers().runDue();
    assertThat(reminders(org, mark)).isEmpty();

    server.clock().advance(Duration.ofSeconds(2));
    server.server().timers().runDue();
    List<Event> first = reminders(org, mark);
    assertThat(first).hasSize(1);
    var reminder = EventsSeen.pullModeEvent(first.getFirst());
    assertThat(reminder.get("status").asText()).isEqualTo("UNREAD");
    assertThat(reminder.get("waitingSeconds").asLong()).isEqualTo(61);
    assertThat(reminder.get("id").asText()).isEqualTo(id);

    server.server().timers().runDue();
    assertThat(reminders(org, mark)).hasSize(1);

    server.clock().advance(Duration.ofSeconds(60));
    server.server().timers().runDue();
    assertThat(reminders(org, mark)).hasSize(2);
    assertThat(EventsSeen.pullModeEvent(reminders(org, mark).get(1)).get("waitingSeconds").asLong())
        .isEqualTo(121);

    org.join("a1", id);
    long joined = EventsSeen.mark(server.server());
    server.clock().advance(Duration.ofSeconds(600));
    server.server().timers().runDue();
    assertThat(reminders(org, joined)).isEmpty();
  }

  @Test
  void a_request_whose_customer_is_silent_longer_than_the_channel_allows_is_closed() {
    RoutingFixture org = new RoutingFixture(server.http(), "timers-" + ++orgs);
    org.http.patch(
        "/api/v1/channels/" + org.openChannel, org.admin, Map.of("customerActivityTimeout", 300));
    String id = org.intake(org.openChannel, 0);
    org.join("a1", id);

    server.clock().advance(Duration.ofSeconds(299));
    server.server().timers().runDue();
    assertThat(org.read(id).get("state").asText()).isEqualTo("ACTIVE");

    // A customer text restarts the timeout.
    org.http.post("/api/v1/conversations/" + id + "/messages", org.admin, Map.of("text", "wait"));
    server.clock().advance(Duration.ofSeconds(299));
    server.server().timers().runDue();
    assertThat(org.read(id).get("state").asText()).isEqualTo("ACTIVE");

    long mark = EventsSeen.mark(server.server());
    server.clock().advance(Duration.ofSeconds(2));
    server.server().timers().runDue();
    var closed = org.read(id);
    assertThat(closed.get("state").asText()).isEqualTo("CLOSED");
    assertThat(closed.get("participants")).isEmpty();
    assertThat(EventsSeen.types(EventsSeen.after(server.server(), org.orgId, mark)))
        .startsWith("pullMode.ListRequestRemoved")
        .contains("engagementCenter.InteractionClear");
  }
}
