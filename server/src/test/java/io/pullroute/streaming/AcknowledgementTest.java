package io.pullroute.streaming;

import static io.pullroute.streaming.StreamingFixture.INVALID_SESSION;
import static io.pullroute.streaming.StreamingFixture.ids;
import static io.pullroute.streaming.StreamingFixture.scope;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sessions created with {@code requireAcknowledgement}: redelivery until acknowledged, the
 * acknowledge call, and what a restart keeps (pending events, sessions, cursors).
 *
 * <p>Events come from the publish API ({@code outreach.status}) to an admin-client session
 * subscribed to every outreach event.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class AcknowledgementTest {
  private static final AtomicInteger ORGS = new AtomicInteger();

  @Parameter StoreKind store;
  static TestServer server;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store, config -> config.withPollWait(Duration.ofMillis(300)));
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  private static StreamingFixture fixture() {
    return new StreamingFixture(server, "acks-" + ORGS.incrementAndGet());
  }

  /** A v3 session of the admin client hearing every outreach event. */
  private static String outreachSession(StreamingFixture org, boolean acknowledge) {
    String session = org.sessionV3(org.admin, acknowledge);
    org.subscribed(
        org.admin,
        3,
        session,
        StreamingFixture.criteria("outreach", List.of("all"), "*", List.of()));
    return session;
  }

  private static List<String> publish(StreamingFixture org, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(org.publishOutreach(i));
    }
    org.settle();
    return ids;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  // ---- redelivery

  @Test
  void each_poll_returns_the_oldest_unacknowledged_events_first() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, true);
    List<String> e = publish(org, 3);

    assertThat(ids(org.events(org.admin, 3, session, 2))).containsExactly(e.get(0), e.get(1));
    assertThat(ids(org.events(org.admin, 3, session, 2)))
        .as("not acknowledged: the same events again")
        .containsExactly(e.get(0), e.get(1));
    assertThat(ids(org.events(org.admin, 3, session, 5)))
        .as("the unacknowledged first, then the next")
        .containsExactly(e.get(0), e.get(1), e.get(2));

    Response acknowledged = org.acknowledgeIds(org.admin, session, List.of(e.get(0), e.get(1)));
    assertThat(acknowledged.status()).as(acknowledged.toString()).isEqualTo(200);

    String e4 = org.publishOutreach(4);
    org.settle();
    assertThat(ids(org.events(org.admin, 3, session, 5))).containsExactly(e.get(2), e4);
    assertThat(org.acknowledgeIds(org.admin, session, List.of(e.get(2), e4)).status())
        .isEqualTo(200);
    assertThat(org.events(org.admin, 3, session, 5)).as("all acknowledged").isEmpty();
  }

  @Test
  void acknowledge_answers_the_ids_acknowledged_and_the_ids_not_found() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, true);
    List<String> e = publish(org, 3);
    assertThat(ids(org.events(org.admin, 3, session, 2))).containsExactly(e.get(0), e.get(1));

    String unknown = "1519073282456-0";
    Response first = org.acknowledgeIds(org.admin, session, List.of(e.get(0), unknown));
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(strings(first.json().get("eventIdsAcknowledged"))).containsExactly(e.get(0));
    assertThat(strings(first.json().get("eventIdsNotFound"))).containsExactly(unknown);

    Response again = org.acknowledgeIds(org.admin, session, List.of(e.get(0), e.get(1)));
    assertThat(again.status()).as(again.toString()).isEqualTo(200);
    assertThat(strings(again.json().get("eventIdsAcknowledged"))).containsExactly(e.get(1));
    assertThat(strings(again.json().get("eventIdsNotFound")))
        .as("already acknowledged")
        .containsExactly(e.get(0));

    Response undelivered = org.acknowledgeIds(org.admin, session, List.of(e.get(2)));
    assertThat(strings(undelivered.json().get("eventIdsAcknowledged"))).isEmpty();
    assertThat(strings(undelivered.json().get("eventIdsNotFound")))
        .as("an event not delivered yet is not pending")
        .containsExactly(e.get(2));
    assertThat(ids(org.events(org.admin, 3, session, 5))).containsExactly(e.get(2));
  }

  @Test
  void acknowledge_on_a_session_without_acknowledgement_is_a_400() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, false);
    List<String> e = publish(org, 1);
    assertThat(ids(org.events(org.admin, 3, session, 5))).containsExactly(e.getFirst());

    Response response = org.acknowledgeIds(org.admin, session, e);
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("code").asInt()).isEqualTo(400);
  }

  @Test
  void acknowledge_with_a_v2_session_is_an_invalid_session() {
    StreamingFixture org = fixture();
    String session = org.session(org.admin, 2);

    Response response = org.acknowledgeIds(org.admin, session, List.of("1519073278252-0"));
    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.json().get("message").asText()).isEqualTo(INVALID_SESSION);
  }

  @Test
  void a_malformed_acknowledgement_is_a_400_naming_the_field() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, true);
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{}", "events");
    cases.put("{\"events\":[]}", "events");
    cases.put("{\"events\":{\"eventId\":\"1519073278252-0\"}}", "events");
    cases.put("{\"events\":[{}]}", "events[0].eventId");
    cases.put(
        "{\"events\":[{\"eventId\":\"1519073278252-0\"},{\"id\":\"x\"}]}", "events[1].eventId");
    cases.put("{\"events\":[{\"eventId\":5}]}", "events[0].eventId");
    // A field an event does not have (before, dropped silently).
    cases.put("{\"events\":[{\"eventId\":\"1519073278252-0\",\"ack\":true}]}", "events[0].ack");
    for (Map.Entry<String, String> entry : cases.entrySet()) {
      Response response = org.acknowledge(org.admin, session, entry.getKey());
      assertThat(response.status()).as(entry.getKey() + " → " + response).isEqualTo(400);
      assertThat(scope(response)).as(entry.getKey()).isEqualTo(entry.getValue());
    }
    Response notJson = org.acknowledge(org.admin, session, "{\"events\":");
    assertThat(notJson.status()).as(notJson.toString()).isEqualTo(400);
  }

  // ---- restart

  @Test
  void events_delivered_but_not_acknowledged_come_again_after_a_restart() {
    StreamingFixture org = fixture();
    String session = outreachSession(org, true);
    List<String> e = publish(org, 3);
    assertThat(ids(org.events(org.admin, 3, session, 2))).containsExactly(e.get(0), e.get(1));
    assertThat(org.acknowledgeIds(org.admin, session, List.of(e.get(0))).status()).isEqualTo(200);

    server.restart();

    assertThat(ids(org.events(org.admin, 3, session, 5)))
        .as("the session id still works; the unacknowledged event first, then the next")
        .containsExactly(e.get(1), e.get(2));
    Response acknowledged = org.acknowledgeIds(org.admin, session, List.of(e.get(1), e.get(2)));
    assertThat(strings(acknowledged.json().get("eventIdsAcknowledged")))
        .containsExactly(e.get(1), e.get(2));
    String after = org.publishOutreach(9);
    org.settle();
    assertThat(ids(org.events(org.admin, 3, session, 5))).containsExactly(after);
  }

  @Test
  void a_session_without_acknowledgement_continues_after_a_restart_where_it_left_off() {
    StreamingFixture org = fixture();
    String v3 = outreachSession(org, false);
    String v2 = org.session(org.admin, 2);
    org.subscribed(
        org.admin, 2, v2, StreamingFixture.criteria("outreach", List.of("all"), "*", List.of()));
    List<String> before = publish(org, 3);
    assertThat(ids(org.events(org.admin, 3, v3, 5))).containsExactlyElementsOf(before);
    assertThat(ids(org.events(org.admin, 2, v2, 5))).containsExactlyElementsOf(before);

    String undelivered = org.publishOutreach(8);
    org.settle();
    server.server().streaming().flush();
    server.restart();

    String after = org.publishOutreach(9);
    org.settle();
    assertThat(ids(org.pollUntil(org.admin, 3, v3, seen -> ids(seen).contains(after))))
        .as("nothing delivered before the restart comes again; nothing published is lost")
        .containsExactly(undelivered, after);
    assertThat(ids(org.pollUntil(org.admin, 2, v2, seen -> ids(seen).contains(after))))
        .containsExactly(undelivered, after);
  }
}
