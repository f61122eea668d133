package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code pullMode.*} payloads against spec 000's example (kept as a fixture): the same
 * envelope, and every field of the example's {@code pullModeEvent} present with the same JSON type.
 * The customer object is the channel's own, so only its identifying fields are compared.
 */
class PullModePayloadTest {
  /** Fields whose values spec 000 shows as null but pullroute fills in. */
  private static final Set<String> MAY_BE_FILLED =
      Set.of("/channelSession/channelData/customerLastName", "/channelSession/channel/tenant/name");

  private static TestServer server;
  private static RoutingFixture org;
  private static JsonNode spec;

  @BeforeAll
  static void start() throws IOException {
    server = TestServer.start(StoreKind.H2);
    org = new RoutingFixture(server.http(), "payloads");
    try (InputStream in =
        PullModePayloadTest.class.getResourceAsStream(
            "/fixtures/spec000-list-request-received.json")) {
      spec = ApiClient.JSON.readTree(in);
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonNode specEvent() throws IOException {
    return ApiClient.JSON.readTree(spec.get("pullModeEvent").asText());
  }

  @Test
  void the_envelope_is_spec_000s_pull_mode_event_string_type_and_list_id() {
    long mark = EventsSeen.mark(server.server());
    org.intake(org.webChannel, 0);
    Event received = EventsSeen.after(server.server(), org.orgId, mark).getFirst();
    JsonNode payload = EventsSeen.payload(received);
    assertThat(fieldNames(payload)).containsExactlyElementsOf(fieldNames(spec));
    assertThat(payload.get("pullModeEvent").isTextual()).isTrue();
    assertThat(payload.get("type").asText()).isEqualTo(spec.get("type").asText());
    assertThat(payload.get("conversationId").asText()).isEqualTo(org.ownedList);
  }

  @Test
  void every_field_of_the_example_is_present_with_the_same_json_type() throws IOException {
    long mark = EventsSeen.mark(server.server());
    String id = org.intake(org.webChannel, 0);
    org.join("a1", id);
    org.leave("a1", id);
    org.close(org.admin, id);
    List<Event> events =
        EventsSeen.after(server.server(), org.orgId, mark).stream()
            .filter(event -> event.category().equals("pullMode"))
            .toList();
    assertThat(EventsSeen.types(events))
        .containsExactly(
            "pullMode.ListRequestReceived",
            "pullMode.ListRequestUpdated",
            "pullMode.ListRequestUpdated",
            "pullMode.ListRequestRemoved");
    JsonNode expected = specEvent();
    for (Event event : events) {
      JsonNode actual = EventsSeen.pullModeEvent(event);
      List<String> differences = new ArrayList<>();
      compare("", expected, actual, differences);
      assertThat(differences).as(event.type()).isEmpty();
      assertThat(actual.get("listId").asText()).isEqualTo(org.ownedList);
      assertThat(actual.get("id").asText()).isEqualTo(id);
    }
    List<String> statuses =
        events.stream().map(e -> EventsSeen.pullModeEvent(e).get("status").asText()).toList();
    assertThat(statuses).containsExactly("CREATED", "ACTIVE", "INACTIVE", "CLOSED");
    List<String> types =
        events.stream().map(e -> EventsSeen.payload(e).get("type").asText()).toList();
    assertThat(types)
        .containsExactly(
            "PULL_MODE_LIST_REQUEST_RECEIVED",
            "PULL_MODE_LIST_REQUEST_UPDATED",
            "PULL_MODE_LIST_REQUEST_UPDATED",
            "PULL_MODE_LIST_REQUEST_REMOVED");
  }

  @Test
  void channel_data_carries_what_the_channel_sent() {
    long mark = EventsSeen.mark(server.server());
    var response =
        org.http.post(
            "/api/v1/channels/" + org.webChannel + "/conversations",
            org.admin,
            Map.of(
                "customer",
                Map.of("firstName", "testttt", "web", List.of("0991222")),
                "channelCustomerIdentifier",
                "0991222",
                "requestPriority",
                3,
                "additionalAttributes",
                List.of(Map.of("key", "WebChannelData", "type", "WebChannelData", "value", 1))));
    assertThat(response.status()).isEqualTo(201);
    JsonNode event =
        EventsSeen.pullModeEvent(EventsSeen.after(server.server(), org.orgId, mark).getFirst());
    JsonNode channelData = event.at("/channelSession/channelData");
    assertThat(channelData.get("channelCustomerIdentifier").asText()).isEqualTo("0991222");
    assertThat(channelData.get("serviceIdentifier").asText()).isEqualTo("web-1133");
    assertThat(channelData.get("requestPriority").asInt()).isEqualTo(3);
    assertThat(channelData.get("customerFirstName").asText()).isEqualTo("testttt");
    assertThat(channelData.at("/additionalAttributes/0/key").asText()).isEqualTo("WebChannelData");
    JsonNode customer = event.at("/channelSession/customer");
    assertThat(customer.get("firstName").asText()).isEqualTo("testttt");
    assertThat(customer.get("web").get(0).asText()).isEqualTo("0991222");
    assertThat(customer.get("_id").asText()).hasSize(24);
    assertThat(event.at("/channelSession/channel/channelConfig/routingPolicy/routingMode").asText())
        .isEqualTo("PULL");
    assertThat(
            event
                .at("/channelSession/channel/channelConfig/routingPolicy/routingObjectId")
                .asText())
        .isEqualTo(org.ownedList);
  }

  /** A list event describes the channel as it is when the event is made, not as it was. */
  @Test
  void a_changed_channel_shows_as_changed_in_the_next_event() {
    String channel = org.channel("renamed-later", "WEB", "PULL", org.ownedList);
    long mark = EventsSeen.mark(server.server());
    org.intake(channel, 0);
    assertThat(
            org.http
                .patch(
                    "/api/v1/channels/" + channel,
                    org.admin,
                    Map.of("name", "renamed", "customerActivityTimeout", 600))
                .status())
        .isEqualTo(200);
    org.intake(channel, 0);
    List<JsonNode> channels =
        EventsSeen.after(server.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals(RoutingEvents.RECEIVED))
            .map(event -> EventsSeen.pullModeEvent(event).at("/channelSession/channel"))
            .toList();
    assertThat(channels).hasSize(2);
    assertThat(channels.get(0).get("name").asText()).isEqualTo("renamed-later");
    assertThat(channels.get(0).at("/channelConfig/customerActivityTimeout").asInt()).isZero();
    assertThat(channels.get(1).get("name").asText()).isEqualTo("renamed");
    assertThat(channels.get(1).at("/channelConnector/name").asText()).isEqualTo("renamed");
    assertThat(channels.get(1).at("/channelConfig/customerActivityTimeout").asInt()).isEqualTo(600);
  }

  private static void compare(String path, JsonNode expected, JsonNode actual, List<String> out) {
    if (path.equals("/channelSession/customer")) {
      for (String field : List.of("_id", "firstName", "phoneNumber", "isAnonymous")) {
        if (!actual.has(field)) {
          out.add(path + "/" + field + " missing");
        }
      }
      return;
    }
    if (actual == null || actual.isMissingNode()) {
      out.add(path + " missing");
      return;
    }
    if (expected.isNull()) {
      return; // the example shows no value: any type is allowed
    }
    if (actual.isNull() && !MAY_BE_FILLED.contains(path)) {
      out.add(path + " is null, the example has " + expected.getNodeType());
      return;
    }
    if (!actual.isNull() && actual.getNodeType() != expected.getNodeType()) {
      out.add(path + " is " + actual.getNodeType() + ", the example has " + expected.getNodeType());
      return;
    }
    if (expected.isObject()) {
      for (Iterator<String> names = expected.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        compare(path + "/" + name, expected.get(name), actual.get(name), out);
      }
    } else if (expected.isArray() && !expected.isEmpty() && !actual.isEmpty()) {
      compare(path + "/0", expected.get(0), actual.get(0), out);
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
