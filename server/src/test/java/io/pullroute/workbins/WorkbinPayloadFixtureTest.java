package io.pullroute.workbins;

import static io.pullroute.workbins.WorkbinFixture.TEAM;
import static io.pullroute.workbins.WorkbinFixture.fieldNames;
import static io.pullroute.workbins.WorkbinFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@code workbin.*} payloads (the {@code data} of the messages on {@code /v2/me/workbins})
 * against the Genesys documentation's examples, kept as fixtures: spec 001's AgentGroup {@code
 * ItemRemoved} notification and the Subscribe / Unsubscribe group examples of the public workbin
 * pages (Python's {@code None} written as {@code null}). Same top-level keys, plus {@code
 * referenceId} on the state changes (DESIGN.md §4.5: notifications carry the request's
 * referenceId), the same JSON types, and the example's chat item keys with the same types.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class WorkbinPayloadFixtureTest {
  private static final AtomicInteger ORGS = new AtomicInteger();
  private static final String ITEM_REMOVED =
      "/fixtures/genesys-workbin-item-removed-agentgroup.json";
  private static final String SUBSCRIBED = "/fixtures/genesys-workbin-subscribe-agentgroup.json";
  private static final String UNSUBSCRIBED =
      "/fixtures/genesys-workbin-unsubscribe-agentgroup.json";

  /** Genesys' receivedDate: {@code 2016-04-08 15:05:57.000+0300}. */
  private static final String RECEIVED_DATE =
      "\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}[+-]\\d{4}";

  @Parameter StoreKind store;

  static TestServer server;
  static WorkbinFixture org;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    org = new WorkbinFixture(server.http(), "payloads-" + ORGS.incrementAndGet());
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (server != null) {
      server.close();
    }
    server = null;
    org = null;
  }

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = WorkbinPayloadFixtureTest.class.getResourceAsStream(name)) {
      assertThat(in).as("fixture %s", name).isNotNull();
      return ApiClient.JSON.readTree(in);
    }
  }

  /** The one event of {@code type} since {@code mark}. */
  private static JsonNode onlyPayload(long mark, String type) {
    List<Event> events =
        EventsSeen.after(server.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals(type))
            .toList();
    assertThat(events).as("%s events", type).hasSize(1);
    return EventsSeen.payload(events.getFirst());
  }

  private static Set<String> keys(JsonNode node) {
    return new LinkedHashSet<>(fieldNames(node));
  }

  /** Every key of {@code example} is in {@code actual} with the same JSON type. */
  private static void sameTypes(String what, JsonNode example, JsonNode actual) {
    example
        .fieldNames()
        .forEachRemaining(
            key -> {
              assertThat(actual.has(key)).as("%s: key %s in %s", what, key, actual).isTrue();
              JsonNodeType expected = example.get(key).getNodeType();
              assertThat(actual.get(key).getNodeType())
                  .as(
                      "%s: type of %s (example %s, actual %s)",
                      what, key, example.get(key), actual.get(key))
                  .isEqualTo(expected);
            });
  }

  // ---- ItemRemoved (spec 001)

  @Test
  void item_removed_has_the_examples_top_level_keys_and_types_plus_the_reference_id()
      throws IOException {
    JsonNode example = fixture(ITEM_REMOVED);
    long mark = EventsSeen.mark(server.server());
    String chat = org.intake(org.webChannel);
    long referenceId = org.pulled("a1", "PullChat", chat);
    JsonNode payload = onlyPayload(mark, "workbin.ItemRemoved");

    Set<String> expectedKeys = keys(example);
    expectedKeys.add("referenceId");
    assertThat(keys(payload)).containsExactlyInAnyOrderElementsOf(expectedKeys);
    assertThat(keys(example))
        .containsExactlyInAnyOrder(
            "action", "agentGroup", "chatStateResourceV2", "id", "messageType");
    sameTypes("ItemRemoved", example, payload);
    assertThat(payload.get("referenceId").isIntegralNumber()).isTrue();

    assertThat(payload.get("action").asText()).isEqualTo(example.get("action").asText());
    assertThat(payload.get("messageType").asText()).isEqualTo(example.get("messageType").asText());
    assertThat(payload.get("agentGroup").asText()).isEqualTo(TEAM);
    assertThat(payload.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(payload.get("referenceId").asLong()).isEqualTo(referenceId);
    assertThat(payload.at("/chatStateResourceV2/id").asText()).isEqualTo(chat);
  }

  @Test
  void the_chat_item_has_the_examples_keys_with_the_same_types() throws IOException {
    JsonNode example = fixture(ITEM_REMOVED).get("chatStateResourceV2");
    assertThat(keys(example))
        .containsExactlyInAnyOrder(
            "capabilities", "chatType", "id", "participants", "receivedDate", "userData");
    long mark = EventsSeen.mark(server.server());
    String chat = org.intake(org.webChannel);
    org.pulled("a2", "PullInteraction", chat);
    JsonNode item = onlyPayload(mark, "workbin.ItemRemoved").get("chatStateResourceV2");

    assertThat(keys(item)).containsAll(keys(example));
    sameTypes("chatStateResourceV2", example, item);
    assertThat(item.get("chatType").asText()).isEqualTo(example.get("chatType").asText());
    assertThat(item.get("id").asText()).isEqualTo(chat);
    assertThat(example.get("receivedDate").asText()).matches(RECEIVED_DATE);
    assertThat(item.get("receivedDate").asText()).matches(RECEIVED_DATE);
    // The request as the workbin held it: unattended.
    assertThat(item.get("participants")).isEmpty();
    assertThat(item.get("capabilities").isArray()).isTrue();
  }

  @Test
  void item_added_to_a_group_workbin_has_the_same_keys_as_the_item_removed_example()
      throws IOException {
    JsonNode example = fixture(ITEM_REMOVED);
    String chat = org.intake(org.webChannel);
    org.pulled("a1", "PullChat", chat);
    long mark = EventsSeen.mark(server.server());
    long referenceId = succeeded(org.operate("a1", org.ownedList, TEAM, "AddChat", chat));

    List<JsonNode> added =
        EventsSeen.after(server.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals("workbin.ItemAdded"))
            .map(EventsSeen::payload)
            .filter(payload -> payload.path("id").asText().equals(org.ownedList))
            .toList();
    assertThat(added).hasSize(1);
    JsonNode payload = added.getFirst();
    Set<String> expectedKeys = keys(example);
    expectedKeys.add("referenceId");
    assertThat(keys(payload)).containsExactlyInAnyOrderElementsOf(expectedKeys);
    sameTypes("ItemAdded", example, payload);
    sameTypes(
        "ItemAdded chatStateResourceV2",
        example.get("chatStateResourceV2"),
        payload.get("chatStateResourceV2"));
    assertThat(payload.get("action").asText()).isEqualTo("ItemAdded");
    assertThat(payload.get("agentGroup").asText()).isEqualTo(TEAM);
    assertThat(payload.get("referenceId").asLong()).isEqualTo(referenceId);
  }

  // ---- Subscribe / Unsubscribe (the group pages)

  @Test
  void subscribed_has_the_examples_keys_types_and_values() throws IOException {
    JsonNode example = fixture(SUBSCRIBED);
    long mark = EventsSeen.mark(server.server());
    long referenceId = succeeded(org.operate("a4", org.ownedList, TEAM, "Subscribe", null));
    JsonNode payload = onlyPayload(mark, "workbin.SubscriptionStateChanged");

    assertThat(keys(payload)).containsExactlyInAnyOrderElementsOf(keys(example));
    sameTypes("Subscribed", example, payload);
    assertThat(payload.get("messageType").asText()).isEqualTo(example.get("messageType").asText());
    assertThat(payload.get("stateResource").asText()).isEqualTo("Subscribed");
    assertThat(payload.get("agentGroup").asText()).isEqualTo(TEAM);
    assertThat(payload.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(payload.get("referenceId").asLong()).isEqualTo(referenceId);
  }

  @Test
  void unsubscribed_has_the_examples_keys_types_and_values() throws IOException {
    JsonNode example = fixture(UNSUBSCRIBED);
    succeeded(org.operate("a4", org.ownedList, TEAM, "Subscribe", null));
    long mark = EventsSeen.mark(server.server());
    long referenceId = succeeded(org.operate("a4", org.ownedList, TEAM, "Unsubscribe", null));
    JsonNode payload = onlyPayload(mark, "workbin.SubscriptionStateChanged");

    assertThat(keys(payload)).containsExactlyInAnyOrderElementsOf(keys(example));
    sameTypes("Unsubscribed", example, payload);
    assertThat(payload.get("messageType").asText()).isEqualTo(example.get("messageType").asText());
    assertThat(payload.get("stateResource").asText()).isEqualTo("Unsubscribed");
    assertThat(payload.get("agentGroup").asText()).isEqualTo(TEAM);
    assertThat(payload.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(payload.get("referenceId").asLong()).isEqualTo(referenceId);
  }
}
