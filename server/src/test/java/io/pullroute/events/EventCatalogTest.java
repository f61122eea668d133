package io.pullroute.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullroute.events.EventCatalog.Violation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The event catalog against spec 003 (kept as a test resource): every event type of its tables is
 * known, every example payload of its schema sections validates, and wrong payloads yield
 * violations naming the failing field. All of spec 003's examples are valid JSON as written, so
 * none is repaired here; they are parsed strictly (no trailing commas, no duplicate keys).
 */
class EventCatalogTest {
  private static final String SPEC = "/spec/003-alvaria-streaming.txt";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A row of spec 003's event tables: {@code engagementCenter.Idle |}. */
  private static final Pattern TABLE_ROW =
      Pattern.compile("^(engagementCenter|outreach|messaging)\\.[A-Za-z]+ \\|$");

  /** A schema section heading of spec 003: {@code EventECIdle}. */
  private static final Pattern SECTION_HEADING =
      Pattern.compile("^Event(EC|Messaging|Fastpath|Script)[A-Za-z]*$");

  /** Schema sections whose names do not follow EventEC&lt;X&gt; / EventMessaging&lt;X&gt;. */
  private static final Map<String, String> SECTION_RENAMES =
      Map.of(
          "EventECInteractionRelXferred", "engagementCenter.InteractionReleasedXferred",
          "EventECUpdateAgtStatReason", "engagementCenter.UpdateAgentStatusReason",
          "EventMessagingEntityDialReq", "messaging.EntityDialRequest",
          "EventMessagingEntityPushURL", "messaging.EntityPushURL",
          "EventFastpathDispostion", "outreach.disposition",
          "EventFastpathStatus", "outreach.status",
          "EventScriptStatus", "outreach.automationScriptStatus");

  private final EventCatalog catalog = EventCatalog.load();

  // ---- (a) the spec's tables

  @Test
  void every_event_type_of_the_spec_tables_is_known_and_no_other() {
    List<String> listed = specLines().stream().filter(l -> TABLE_ROW.matcher(l).matches()).toList();
    List<String> tableTypes = listed.stream().map(l -> l.substring(0, l.length() - 2)).toList();

    assertThat(tableTypes).hasSize(67).doesNotHaveDuplicates();
    assertThat(tableTypes).allSatisfy(type -> assertThat(catalog.knows(type)).isTrue());
    List<String> catalogAlvariaTypes =
        Stream.of("engagementCenter", "outreach", "messaging")
            .flatMap(category -> catalog.typesOf(category).stream())
            .toList();
    assertThat(catalogAlvariaTypes).containsExactlyInAnyOrderElementsOf(tableTypes);
    assertThat(catalog.typesOf("engagementCenter")).hasSize(58);
    assertThat(catalog.typesOf("outreach")).hasSize(3);
    assertThat(catalog.typesOf("messaging")).hasSize(6);
  }

  // ---- (b) the spec's examples

  static Stream<Arguments> specExamples() {
    List<String> lines = specLines();
    List<Arguments> examples = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String heading = lines.get(i);
      if (SECTION_HEADING.matcher(heading).matches()) {
        examples.add(Arguments.of(heading, typeOfSection(heading), exampleAfter(lines, i)));
      }
    }
    return examples.stream();
  }

  @Test
  void the_spec_has_one_example_per_event_type() {
    assertThat(specExamples().map(arguments -> (String) arguments.get()[1]).distinct())
        .hasSize(67)
        .allSatisfy(type -> assertThat(catalog.knows(type)).as(type).isTrue());
  }

  @ParameterizedTest(name = "{0} ({1})")
  @MethodSource("specExamples")
  void the_spec_example_validates(String section, String type, JsonNode example) {
    assertThat(catalog.validate(type, example)).as(section).isEmpty();
  }

  // ---- (c) wrong types

  @Test
  void a_wrong_type_at_the_top_level_names_the_field() {
    List<Violation> violations = catalog.validate("engagementCenter.Idle", json("{'userId': 5}"));

    assertThat(violations).extracting(Violation::field).containsExactly("payload.userId");
    assertThat(violations.getFirst().message()).contains("integer").contains("string");
  }

  @Test
  void a_wrong_type_inside_the_nested_payload_names_the_nested_field() {
    List<Violation> violations =
        catalog.validate(
            "engagementCenter.Idle", json("{'userId': 'u1', 'payload': {'interactionId': 'x'}}"));

    assertThat(violations)
        .extracting(Violation::field)
        .containsExactly("payload.payload.interactionId");
  }

  @Test
  void a_wrong_type_inside_an_array_names_the_element() {
    JsonNode statistics =
        json("{'payload': {'agentStatistics': [{'workTypeId': 1}, {'workTypeId': 'x'}]}}");

    assertThat(catalog.validate("engagementCenter.AgentStatistics", statistics))
        .extracting(Violation::field)
        .containsExactly("payload.payload.agentStatistics[1].workTypeId");
  }

  @Test
  void a_payload_that_is_not_an_object_names_the_root() {
    assertThat(catalog.validate("engagementCenter.Idle", json("'idle'")))
        .extracting(Violation::field)
        .containsExactly("payload");
  }

  @Test
  void a_widened_type_accepts_both_types_and_nothing_else() {
    String type = "engagementCenter.Error";

    assertThat(catalog.validate(type, json("{'payload': {'worktypeId': 7}}"))).isEmpty();
    assertThat(catalog.validate(type, json("{'payload': {'worktypeId': '7'}}"))).isEmpty();
    assertThat(catalog.validate(type, json("{'payload': {'worktypeId': true}}")))
        .extracting(Violation::field)
        .containsExactly("payload.payload.worktypeId");
  }

  @Test
  void fields_the_spec_does_not_name_are_allowed() {
    assertThat(catalog.validate("engagementCenter.Idle", json("{'payload': {'extra': [1]}}")))
        .isEmpty();
  }

  @Test
  void an_unknown_type_is_rejected() {
    assertThatThrownBy(() -> catalog.validate("engagementCenter.Nope", json("{}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("engagementCenter.Nope");
    assertThat(catalog.knows("engagementCenter.Nope")).isFalse();
  }

  // ---- (d) pullroute's required fields

  @Test
  void missing_required_pull_mode_fields_are_each_named() {
    for (String type : catalog.typesOf("pullMode")) {
      assertThat(catalog.validate(type, json("{}")))
          .as(type)
          .extracting(Violation::field)
          .containsExactlyInAnyOrder(
              "payload.pullModeEvent", "payload.type", "payload.conversationId");
    }
  }

  @Test
  void a_pull_mode_type_value_of_another_event_is_a_violation() {
    JsonNode removed =
        json(
            "{'pullModeEvent': '{}', 'type': 'PULL_MODE_LIST_REQUEST_REMOVED',"
                + " 'conversationId': 'l1'}");

    assertThat(catalog.validate("pullMode.ListRequestRemoved", removed)).isEmpty();
    assertThat(catalog.validate("pullMode.ListRequestReceived", removed))
        .extracting(Violation::field)
        .containsExactly("payload.type");
  }

  @Test
  void spec_000s_example_validates_as_list_request_received() throws IOException {
    JsonNode example;
    try (InputStream in = resource("/fixtures/spec000-list-request-received.json")) {
      example = JSON.readTree(in);
    }
    assertThat(catalog.validate("pullMode.ListRequestReceived", example)).isEmpty();
  }

  @Test
  void workbin_and_change_notification_payloads_need_their_key_field() {
    assertThat(catalog.validate("workbin.ItemRemoved", json("{'action': 'ItemRemoved'}")))
        .extracting(Violation::field)
        .containsExactly("payload.messageType");
    assertThat(catalog.validate("workbin.ItemAdded", json("{'messageType': 'M', 'id': 1}")))
        .extracting(Violation::field)
        .containsExactly("payload.id");
    assertThat(catalog.validate("changeNotification.team", json("{}")))
        .extracting(Violation::field)
        .containsExactly("payload.id");
  }

  // ---- (e) pullroute's own types

  @Test
  void the_catalog_has_pullroutes_own_types() {
    assertThat(catalog.typesOf("pullMode"))
        .containsExactly(
            "pullMode.ListRequestReceived",
            "pullMode.ListRequestRemoved",
            "pullMode.ListRequestUpdated");
    assertThat(catalog.typesOf("workbin"))
        .containsExactly(
            "workbin.ItemAdded", "workbin.ItemRemoved", "workbin.SubscriptionStateChanged");
    assertThat(catalog.typesOf("changeNotification"))
        .containsExactly("changeNotification.team", "changeNotification.user");
    assertThat(catalog.types()).hasSize(67 + 8);
    assertThat(catalog.typesOf("chat")).isEmpty();
  }

  @Test
  void load_returns_the_one_catalog() {
    assertThat(EventCatalog.load()).isSameAs(catalog);
  }

  // ---- helpers

  private static String typeOfSection(String section) {
    if (SECTION_RENAMES.containsKey(section)) {
      return SECTION_RENAMES.get(section);
    }
    if (section.startsWith("EventEC")) {
      return "engagementCenter." + section.substring("EventEC".length());
    }
    if (section.startsWith("EventMessaging")) {
      return "messaging." + section.substring("EventMessaging".length());
    }
    throw new IllegalArgumentException("no event type for section " + section);
  }

  /** The one JSON value that starts on the line after the heading at {@code heading}. */
  private static JsonNode exampleAfter(List<String> lines, int heading) {
    String rest = String.join("\n", lines.subList(heading + 1, lines.size()));
    try (JsonParser parser = JSON.createParser(rest)) {
      parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      JsonNode example = JSON.readTree(parser);
      assertThat(example.isObject()).as("example after " + lines.get(heading)).isTrue();
      return example;
    } catch (IOException e) {
      throw new UncheckedIOException("example after " + lines.get(heading), e);
    }
  }

  private static List<String> specLines() {
    try (InputStream in = resource(SPEC)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = EventCatalogTest.class.getResourceAsStream(name);
    assertThat(in).as(name).isNotNull();
    return in;
  }

  /** JSON written with single quotes for readability. */
  private static JsonNode json(String singleQuoted) {
    try {
      return JSON.readTree(singleQuoted.replace('\'', '"'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
