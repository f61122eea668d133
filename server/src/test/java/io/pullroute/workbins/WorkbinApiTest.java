package io.pullroute.workbins;

import static io.pullroute.workbins.WorkbinFixture.OTHER;
import static io.pullroute.workbins.WorkbinFixture.TEAM;
import static io.pullroute.workbins.WorkbinFixture.allIds;
import static io.pullroute.workbins.WorkbinFixture.fieldNames;
import static io.pullroute.workbins.WorkbinFixture.ids;
import static io.pullroute.workbins.WorkbinFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.Event;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.EventsSeen;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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
 * The Genesys workbin API over HTTP (DESIGN.md §4.5, spec 001 and the public workbin pages): which
 * workbins an agent has, their content per media, the refusals with their {@code statusCode}, and
 * what Pull*, Add*, Subscribe and Unsubscribe do to the list, the request and the workbins.
 *
 * <p>One organization per store; each test parks requests of its own, so the tests only look at the
 * requests they made.
 */
@ParameterizedClass
@EnumSource(StoreKind.class)
class WorkbinApiTest {
  private static final AtomicInteger ORGS = new AtomicInteger();
  private static final String RECEIVED_DATE =
      "\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\+0000";
  private static final DateTimeFormatter GENESYS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

  @Parameter StoreKind store;

  static TestServer server;
  static WorkbinFixture org;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    org = new WorkbinFixture(server.http(), "workbins-" + ORGS.incrementAndGet());
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    if (server != null) {
      server.close();
    }
    server = null;
    org = null;
  }

  /** A refusal: the HTTP status, the Genesys statusCode and a message, and nothing else. */
  private static void refused(Response response, int status, int statusCode) {
    refused(response, status);
    assertThat(response.json().get("statusCode").asInt())
        .as(response.toString())
        .isEqualTo(statusCode);
  }

  /** A refusal with {@code status} and some non-zero statusCode. */
  private static void refused(Response response, int status) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    JsonNode body = response.json();
    assertThat(fieldNames(body))
        .as(response.toString())
        .containsExactlyInAnyOrder("statusCode", "statusMessage");
    assertThat(body.get("statusCode").isInt()).as(response.toString()).isTrue();
    assertThat(body.get("statusCode").asInt()).as(response.toString()).isNotZero();
    assertThat(body.get("statusMessage").isTextual()).as(response.toString()).isTrue();
    assertThat(body.get("statusMessage").asText()).as(response.toString()).isNotBlank();
  }

  private static List<String> participants(JsonNode conversation) {
    List<String> ids = new ArrayList<>();
    conversation.get("participants").forEach(p -> ids.add(p.get("userId").asText()));
    return ids;
  }

  private static List<String> subscribedLists(String user) {
    Response response = org.http.get("/api/v1/me/subscriptions", org.token(user));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    response.json().forEach(list -> ids.add(list.get("listId").asText()));
    return ids;
  }

  /** The request is unattended on the Team list and in the Team workbin, in no one's own. */
  private static void onTheTeamList(String id, String state) {
    assertThat(org.onList(org.ownedList)).as("requests on the list").contains(id);
    assertThat(allIds(org.teamContent("a2"))).as("Team workbin").contains(id);
    JsonNode conversation = org.conversation(id);
    assertThat(conversation.get("state").asText()).isEqualTo(state);
    assertThat(conversation.get("listId").asText()).isEqualTo(org.ownedList);
    assertThat(participants(conversation)).isEmpty();
    for (String agent : List.of("a1", "a2", "a4")) {
      assertThat(allIds(org.ownContent(agent))).as("own workbin of %s", agent).doesNotContain(id);
    }
  }

  /** The request is in {@code agent}'s own workbin only, ACTIVE with {@code agent} alone. */
  private static void inOwnWorkbinOf(String agent, String id) {
    assertThat(org.onList(org.ownedList)).as("requests on the list").doesNotContain(id);
    assertThat(allIds(org.teamContent("a2"))).as("Team workbin").doesNotContain(id);
    assertThat(allIds(org.ownContent(agent))).as("own workbin of %s", agent).contains(id);
    for (String other : List.of("a1", "a2", "a4")) {
      if (!other.equals(agent)) {
        assertThat(allIds(org.ownContent(other))).as("own workbin of %s", other).doesNotContain(id);
      }
    }
    JsonNode conversation = org.conversation(id);
    assertThat(conversation.get("state").asText()).isEqualTo("ACTIVE");
    assertThat(participants(conversation)).containsExactly(org.id(agent));
  }

  // ---- GetWorkbins

  @Test
  void get_workbins_lists_the_agents_own_workbin_and_its_groups_but_not_other_groups() {
    Response response = org.workbins("a1");
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    JsonNode body = response.json();
    assertThat(body.get("statusCode").asInt()).isZero();
    JsonNode workbins = body.get("workbins");
    assertThat(workbins).hasSize(2);

    JsonNode own =
        workbins.get(0).get("type").asText().equals("Agent") ? workbins.get(0) : workbins.get(1);
    JsonNode group = own == workbins.get(0) ? workbins.get(1) : workbins.get(0);
    assertThat(own.get("type").asText()).isEqualTo("Agent");
    assertThat(own.get("id").asText()).isEqualTo(org.id("a1"));
    assertThat(own.has("agentGroup")).isFalse();
    assertThat(own.get("uri").asText()).endsWith("/api/v2/workbins/" + org.id("a1"));

    assertThat(group.get("type").asText()).isEqualTo("AgentGroup");
    assertThat(group.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(group.get("agentGroup").asText()).isEqualTo(TEAM);
    assertThat(group.get("workbinName").asText()).isEqualTo("Owned");
    assertThat(group.get("displayName").asText()).isEqualTo("Owned");
    assertThat(group.get("uri").asText())
        .endsWith("/api/v2/workbins/" + org.ownedList + "?agentGroup=" + TEAM);

    // Each uri is served, as GET /api/v2/me/workbins/{id}. (It pointed to no route before.)
    for (JsonNode workbin : List.of(own, group)) {
      String path = java.net.URI.create(workbin.get("uri").asText()).getRawPath();
      String query = java.net.URI.create(workbin.get("uri").asText()).getRawQuery();
      Response fetched = org.http.get(path + (query == null ? "" : "?" + query), org.token("a1"));
      assertThat(fetched.status()).as(fetched.toString()).isEqualTo(200);
      assertThat(fetched.json().at("/workbin/id").asText()).isEqualTo(workbin.get("id").asText());
    }

    // a3 is in the other group: its own workbin and Other's, never Team's, never the open list.
    List<String> ofA3 = new ArrayList<>();
    List<String> typesOfA3 = new ArrayList<>();
    org.workbins("a3")
        .json()
        .get("workbins")
        .forEach(
            w -> {
              ofA3.add(w.get("id").asText());
              typesOfA3.add(w.get("type").asText() + ":" + w.path("agentGroup").asText(""));
            });
    assertThat(ofA3).containsExactlyInAnyOrder(org.id("a3"), org.otherList);
    assertThat(typesOfA3).containsExactlyInAnyOrder("Agent:", "AgentGroup:" + OTHER);
  }

  @Test
  void get_workbins_is_refused_to_a_client_token_with_status_code_5() {
    refused(org.http.get("/api/v2/me/workbins", org.admin), 403, 5);
  }

  // ---- content

  @Test
  void content_without_subresources_is_only_the_workbins_description() {
    org.intake(org.webChannel);
    Response response = org.content("a1", org.ownedList, TEAM, null);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    assertThat(response.json().get("statusCode").asInt()).isZero();
    JsonNode workbin = response.json().get("workbin");
    assertThat(fieldNames(workbin))
        .containsExactlyInAnyOrder("workbinName", "id", "displayName", "uri", "type", "agentGroup");
    assertThat(workbin.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(workbin.get("type").asText()).isEqualTo("AgentGroup");
    assertThat(workbin.get("agentGroup").asText()).isEqualTo(TEAM);

    Response own = org.content("a1", org.id("a1"), null, null);
    assertThat(own.status()).as(own.toString()).isEqualTo(200);
    assertThat(fieldNames(own.json().get("workbin")))
        .containsExactlyInAnyOrder("workbinName", "id", "displayName", "uri", "type");
    assertThat(own.json().at("/workbin/type").asText()).isEqualTo("Agent");
  }

  @Test
  void content_with_subresources_shows_each_request_under_its_media() {
    String chat = org.intake(org.webChannel);
    String email = org.intake(org.emailChannel);
    String sms = org.intake(org.smsChannel);

    JsonNode all = org.teamContent("a1");
    assertThat(ids(all, "chats")).contains(chat).doesNotContain(email, sms);
    assertThat(ids(all, "emails")).contains(email).doesNotContain(chat, sms);
    assertThat(ids(all, "openmedias")).contains(sms).doesNotContain(chat, email);

    JsonNode chatItem = item(all, "chats", chat);
    assertThat(chatItem.get("chatType").asText()).isEqualTo("Inbound");
    assertThat(chatItem.get("id").asText()).isEqualTo(chat);
    String received = chatItem.get("receivedDate").asText();
    assertThat(received).matches(RECEIVED_DATE);
    Instant createdAt = Instant.parse(org.conversation(chat).get("createdAt").asText());
    assertThat(received).isEqualTo(GENESYS.format(createdAt));
    JsonNode emailItem = item(all, "emails", email);
    assertThat(emailItem.get("emailType").asText()).isEqualTo("Inbound");
    assertThat(emailItem.get("receivedDate").asText()).matches(RECEIVED_DATE);

    Response chats = org.content("a1", org.ownedList, TEAM, "subresources=chat");
    assertThat(chats.status()).as(chats.toString()).isEqualTo(200);
    JsonNode onlyChats = chats.json().get("workbin");
    assertThat(onlyChats.has("chats")).isTrue();
    assertThat(onlyChats.has("emails")).isFalse();
    assertThat(onlyChats.has("openmedias")).isFalse();
    assertThat(allIds(onlyChats)).contains(chat).doesNotContain(email, sms);

    Response emails = org.content("a1", org.ownedList, TEAM, "subresources=email");
    assertThat(emails.status()).as(emails.toString()).isEqualTo(200);
    JsonNode onlyEmails = emails.json().get("workbin");
    assertThat(onlyEmails.has("emails")).isTrue();
    assertThat(onlyEmails.has("chats")).isFalse();
    assertThat(allIds(onlyEmails)).contains(email).doesNotContain(chat, sms);

    Response both = org.content("a1", org.ownedList, TEAM, "subresources=chat,email");
    assertThat(both.status()).as(both.toString()).isEqualTo(200);
    assertThat(allIds(both.json().get("workbin"))).contains(chat, email).doesNotContain(sms);
  }

  private static JsonNode item(JsonNode workbin, String collection, String id) {
    for (JsonNode item : workbin.get(collection)) {
      if (item.get("id").asText().equals(id)) {
        return item;
      }
    }
    throw new AssertionError(id + " not in " + collection + " of " + workbin);
  }

  // ---- refusals

  @Test
  void a_non_member_is_refused_with_403_and_status_code_5() {
    String chat = org.intake(org.webChannel);
    refused(org.content("a3", org.ownedList, TEAM, "subresources=*"), 403, 5);
    refused(org.operate("a3", org.ownedList, TEAM, "Subscribe", null), 403, 5);
    refused(org.operate("a3", org.ownedList, TEAM, "PullChat", chat), 403, 5);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void a_wrong_group_name_is_refused_with_400() {
    String chat = org.intake(org.webChannel);
    refused(org.content("a1", org.ownedList, OTHER, "subresources=*"), 400);
    refused(org.content("a1", org.ownedList, "No Such Group", null), 400);
    refused(org.operate("a1", org.ownedList, OTHER, "PullChat", chat), 400);
    // The agent's own workbin belongs to no group.
    refused(org.content("a1", org.id("a1"), TEAM, null), 400);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void a_group_workbin_without_agent_group_is_refused_with_400_and_status_code_1() {
    String chat = org.intake(org.webChannel);
    refused(org.content("a1", org.ownedList, null, "subresources=*"), 400, 1);
    refused(org.operate("a1", org.ownedList, null, "PullChat", chat), 400, 1);
    refused(org.operate("a1", org.ownedList, null, "Subscribe", null), 400, 1);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void an_unknown_workbin_is_refused_with_404_and_status_code_6() {
    String chat = org.intake(org.webChannel);
    refused(org.content("a1", "no-such-workbin", TEAM, null), 404, 6);
    refused(org.operate("a1", "no-such-workbin", TEAM, "PullChat", chat), 404, 6);
    // A list without an owning group is nobody's workbin.
    refused(org.content("a1", org.openList, TEAM, null), 404, 6);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void an_unknown_interaction_is_refused_with_404_and_status_code_6() {
    refused(org.pull("a1", "PullInteraction", "no-such-interaction"), 404, 6);
    refused(org.pull("a1", "PullChat", "no-such-interaction"), 404, 6);
    // A request of another group's list is not in the Team workbin.
    String elsewhere = org.intake(org.otherWebChannel);
    refused(org.pull("a1", "PullInteraction", elsewhere), 404, 6);
    assertThat(org.conversation(elsewhere).get("state").asText()).isEqualTo("UNREAD");
    assertThat(org.onList(org.otherList)).contains(elsewhere);
  }

  @Test
  void a_malformed_body_is_refused_with_400_and_status_code_2_and_an_oversized_one_with_413() {
    String path = WorkbinFixture.path(org.ownedList, TEAM, null);
    refused(org.http.post(path, org.token("a1"), "{\"operationName\": "), 400, 2);
    refused(org.http.post(path, org.token("a1"), "[\"PullChat\"]"), 400, 2);

    // The size limit is the server's, as on every route; here a body sent without a
    // Content-Length, which the server reads up to the limit (one with a Content-Length over it is
    // refused before it is read: HttpBasicsTest).
    byte[] big =
        ("{\"operationName\":\"" + "x".repeat(1024 * 1024) + "\"}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Response chunked =
        org.http.send(
            org.http
                .request(path)
                .header("Authorization", "Bearer " + org.token("a1"))
                .header("Content-Type", "application/json")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big))));
    assertThat(chunked.status()).as(chunked.toString()).isEqualTo(413);
    assertThat(chunked.json().get("code").asInt()).isEqualTo(413);
    // The rest of the body is not read: the connection ends with the answer, which says so.
    assertThat(chunked.header("Connection")).isEqualTo("close");
  }

  @Test
  void a_pull_keeps_the_callers_correlation_id_and_is_timed_under_its_route() {
    String chat = org.intake(org.webChannel);
    Response pulled =
        org.http.send(
            org.http
                .request(WorkbinFixture.path(org.ownedList, TEAM, null))
                .header("Authorization", "Bearer " + org.token("a1"))
                .header("Content-Type", "application/json")
                .header("X-Correlation-Id", "pull-corr-1")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"operationName\":\"PullChat\",\"id\":\"" + chat + "\"}")));
    succeeded(pulled);
    assertThat(pulled.header("X-Correlation-Id")).isEqualTo("pull-corr-1");
    assertThat(pulled.header("Content-Type")).startsWith("application/json");
    refused(org.pull("a2", "PullChat", chat), 409, 2);

    String metrics = org.http.get("/metrics", null).body();
    assertThat(metrics)
        .contains("method=\"POST\",route=\"/api/v2/me/workbins/{id}\",status=\"200\"")
        .contains("method=\"POST\",route=\"/api/v2/me/workbins/{id}\",status=\"409\"");
  }

  @Test
  void pulling_an_already_pulled_request_is_refused_with_409_and_status_code_2() {
    String chat = org.intake(org.webChannel);
    org.pulled("a1", "PullChat", chat);
    refused(org.pull("a2", "PullChat", chat), 409, 2);
    refused(org.pull("a2", "PullInteraction", chat), 409, 2);
    refused(org.pull("a1", "PullInteraction", chat), 409, 2);
    inOwnWorkbinOf("a1", chat);
  }

  @Test
  void a_request_an_agent_joined_cannot_be_pulled() {
    String chat = org.intake(org.webChannel);
    Response joined = org.http.post("/api/v1/conversations/" + chat + "/join", org.token("a2"), "");
    assertThat(joined.status()).as(joined.toString()).isEqualTo(200);
    refused(org.pull("a1", "PullChat", chat), 409, 2);
    JsonNode conversation = org.conversation(chat);
    assertThat(conversation.get("state").asText()).isEqualTo("ACTIVE");
    assertThat(participants(conversation)).containsExactly(org.id("a2"));
  }

  @Test
  void a_media_variant_that_does_not_match_the_request_is_refused_with_400_and_status_code_2() {
    String chat = org.intake(org.webChannel);
    String email = org.intake(org.emailChannel);
    refused(org.pull("a1", "PullEmail", chat), 400, 2);
    refused(org.pull("a1", "PullWorkitem", chat), 400, 2);
    refused(org.pull("a1", "PullChat", email), 400, 2);
    onTheTeamList(chat, "UNREAD");
    onTheTeamList(email, "UNREAD");

    // The matching variants take them.
    org.pulled("a1", "PullEmail", email);
    inOwnWorkbinOf("a1", email);
    String sms = org.intake(org.smsChannel);
    refused(org.pull("a2", "PullChat", sms), 400, 2);
    org.pulled("a2", "PullOpenmedia", sms);
    inOwnWorkbinOf("a2", sms);
  }

  @Test
  void an_unknown_operation_is_refused_with_400() {
    String chat = org.intake(org.webChannel);
    refused(org.pull("a1", "Frobnicate", chat), 400);
    refused(org.pull("a1", "Pull", chat), 400);
    refused(org.pull("a1", "PullFax", chat), 400);
    refused(org.pull("a1", "AddFax", chat), 400);
    refused(org.pull("a1", "pullchat", chat), 400);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void a_missing_operation_name_is_refused_with_400_and_status_code_1() {
    String chat = org.intake(org.webChannel);
    refused(org.operate("a1", org.ownedList, TEAM, Map.of("id", chat)), 400, 1);
    // A pull without the interaction misses a parameter too.
    refused(org.operate("a1", org.ownedList, TEAM, Map.of("operationName", "PullChat")), 400, 1);
    onTheTeamList(chat, "UNREAD");
  }

  @Test
  void an_unknown_subresource_is_refused_with_400() {
    refused(org.content("a1", org.ownedList, TEAM, "subresources=fax"), 400);
    refused(org.content("a1", org.ownedList, TEAM, "subresources=chat,fax"), 400);
    refused(org.content("a1", org.id("a1"), null, "subresources=fax"), 400);
  }

  @Test
  void pulling_from_an_agents_own_workbin_is_refused_with_400() {
    String chat = org.intake(org.webChannel);
    refused(org.operate("a1", org.id("a1"), null, "PullChat", chat), 400);
    onTheTeamList(chat, "UNREAD");
  }

  // ---- pull

  @Test
  void a_pull_answers_status_code_0_and_a_reference_id_that_increases() {
    String first = org.intake(org.webChannel);
    String second = org.intake(org.webChannel);
    String third = org.intake(org.emailChannel);
    long one = org.pulled("a1", "PullChat", first);
    long two = org.pulled("a2", "PullInteraction", second);
    long three = org.pulled("a1", "PullInteraction", third);
    assertThat(two).isGreaterThan(one);
    assertThat(three).isGreaterThan(two);
  }

  @Test
  void a_pulled_request_leaves_the_group_workbin_and_the_list_for_the_pullers_own_workbin() {
    String chat = org.intake(org.webChannel);
    onTheTeamList(chat, "UNREAD");

    org.pulled("a1", "PullChat", chat);

    inOwnWorkbinOf("a1", chat);
    JsonNode own = org.ownContent("a1");
    assertThat(own.get("type").asText()).isEqualTo("Agent");
    assertThat(own.get("id").asText()).isEqualTo(org.id("a1"));
    assertThat(item(own, "chats", chat).get("chatType").asText()).isEqualTo("Inbound");

    // Another agent can no longer join it.
    Response join = org.http.post("/api/v1/conversations/" + chat + "/join", org.token("a2"), "");
    assertThat(join.status()).as(join.toString()).isEqualTo(409);
    inOwnWorkbinOf("a1", chat);
  }

  @Test
  void an_inactive_request_left_on_the_list_can_be_pulled() {
    String chat = org.intake(org.webChannel);
    String path = "/api/v1/conversations/" + chat;
    assertThat(org.http.post(path + "/join", org.token("a2"), "").status()).isEqualTo(200);
    assertThat(org.http.post(path + "/leave", org.token("a2"), "").status()).isEqualTo(200);
    onTheTeamList(chat, "INACTIVE");
    org.pulled("a1", "PullChat", chat);
    inOwnWorkbinOf("a1", chat);
  }

  // ---- add

  @Test
  void adding_a_pulled_request_to_the_group_workbin_puts_it_back_on_the_list() {
    String chat = org.intake(org.webChannel);
    long pull = org.pulled("a1", "PullChat", chat);

    long add = succeeded(org.operate("a1", org.ownedList, TEAM, "AddInteraction", chat));
    assertThat(add).isGreaterThan(pull);
    onTheTeamList(chat, "INACTIVE");

    // It is an unattended request again: another agent takes it, and gives it back with AddChat.
    org.pulled("a2", "PullChat", chat);
    inOwnWorkbinOf("a2", chat);
    succeeded(org.operate("a2", org.ownedList, TEAM, "AddChat", chat));
    onTheTeamList(chat, "INACTIVE");
  }

  @Test
  void only_the_agent_holding_a_request_may_add_it_to_the_group_workbin() {
    String chat = org.intake(org.webChannel);
    org.pulled("a1", "PullChat", chat);
    refused(org.operate("a2", org.ownedList, TEAM, "AddInteraction", chat), 403, 5);
    refused(org.operate("a1", org.ownedList, TEAM, "AddEmail", chat), 400, 2);
    inOwnWorkbinOf("a1", chat);
  }

  // ---- leave

  @Test
  void a_pulled_request_its_agent_leaves_returns_to_the_list() {
    String chat = org.intake(org.webChannel);
    org.pulled("a1", "PullChat", chat);
    Response left = org.http.post("/api/v1/conversations/" + chat + "/leave", org.token("a1"), "");
    assertThat(left.status()).as(left.toString()).isEqualTo(200);

    onTheTeamList(chat, "INACTIVE");
    org.pulled("a2", "PullInteraction", chat);
    inOwnWorkbinOf("a2", chat);
  }

  /**
   * A pulled request its agent leaves moves from the agent's own workbin back to the group's
   * (DESIGN.md §4.7: the {@code workbin.*} events are published on "workbin changes"), so the
   * workbins' listeners must hear it: {@code ItemRemoved} for the own workbin and {@code ItemAdded}
   * for the group's, as AddInteraction announces the same move.
   */
  @Test
  void
      a_pulled_request_its_agent_leaves_is_announced_as_moved_from_its_own_workbin_to_the_groups() {
    String chat = org.intake(org.webChannel);
    org.pulled("a1", "PullChat", chat);
    long mark = EventsSeen.mark(server.server());
    Response left = org.http.post("/api/v1/conversations/" + chat + "/leave", org.token("a1"), "");
    assertThat(left.status()).as(left.toString()).isEqualTo(200);
    onTheTeamList(chat, "INACTIVE");

    assertThat(workbinEvents(chat, mark))
        .as(
            "workbin events of the leave (all its events: %s)",
            EventsSeen.types(EventsSeen.after(server.server(), org.orgId, mark)))
        .containsExactlyInAnyOrder(
            "workbin.ItemRemoved " + org.id("a1"), "workbin.ItemAdded " + org.ownedList);
  }

  /**
   * A request closed while it waits in its group's workbin (on the group-owned list, pulled by
   * nobody) leaves that workbin, so its listeners hear {@code ItemRemoved}, as they hear the
   * request arrive. Before, only a pulled request's close was announced (from its agent's own
   * workbin), and the group's workbin kept showing the closed request to its listeners.
   */
  @Test
  void a_request_closed_in_its_groups_workbin_is_announced_removed_from_it() {
    String chat = org.intake(org.webChannel);
    long mark = EventsSeen.mark(server.server());
    Response closed = org.http.post("/api/v1/conversations/" + chat + "/close", org.admin, "");
    assertThat(closed.status()).as(closed.toString()).isEqualTo(200);

    assertThat(workbinEvents(chat, mark))
        .as(
            "workbin events of the close (all its events: %s)",
            EventsSeen.types(EventsSeen.after(server.server(), org.orgId, mark)))
        .containsExactly("workbin.ItemRemoved " + org.ownedList);
    assertThat(allIds(org.teamContent("a1"))).doesNotContain(chat);
  }

  /** The workbin events of request {@code chat} since {@code mark}, as "type workbinId". */
  private List<String> workbinEvents(String chat, long mark) {
    List<String> workbinEvents = new ArrayList<>();
    for (Event event : EventsSeen.after(server.server(), org.orgId, mark)) {
      if (event.category().equals("workbin")) {
        JsonNode payload = EventsSeen.payload(event);
        if (payload.at("/chatStateResourceV2/id").asText().equals(chat)) {
          workbinEvents.add(event.type() + " " + payload.get("id").asText());
        }
      }
    }
    return workbinEvents;
  }

  /**
   * A new request parked on a group-owned list is announced to the group's workbin, as Genesys
   * tells a workbin's subscribers of an interaction placed in it. Before, a workbin client heard of
   * new requests only through the streaming API's pullMode events.
   */
  @Test
  void a_new_request_on_a_group_owned_list_is_announced_to_the_groups_workbin() {
    long mark = EventsSeen.mark(server.server());
    String chat = org.intake(org.webChannel);

    List<Event> added =
        EventsSeen.after(server.server(), org.orgId, mark).stream()
            .filter(event -> event.type().equals("workbin.ItemAdded"))
            .toList();
    assertThat(added).hasSize(1);
    JsonNode payload = EventsSeen.payload(added.getFirst());
    assertThat(payload.get("id").asText()).isEqualTo(org.ownedList);
    assertThat(payload.get("action").asText()).isEqualTo("ItemAdded");
    assertThat(payload.at("/chatStateResourceV2/id").asText()).isEqualTo(chat);
    assertThat(payload.get("referenceId").asLong()).isPositive();
  }

  /**
   * An agent that pulled a request can be deleted once the request is closed: a closed request is
   * in nobody's workbin. Before, it still named the agent, and the user could never be deleted (a
   * 409 that did not say why).
   */
  @Test
  void an_agent_whose_pulled_request_was_closed_can_be_deleted() {
    WorkbinFixture own = new WorkbinFixture(server.http(), "workbins-" + ORGS.incrementAndGet());
    String chat = own.intake(own.webChannel);
    own.pulled("a1", "PullChat", chat);

    Response holding = own.http.delete("/api/v1/users/" + own.id("a1"), own.admin);
    assertThat(holding.status()).as(holding.toString()).isEqualTo(409);
    assertThat(holding.json().get("message").asText()).contains("is in open requests");

    Response closed = own.http.post("/api/v1/conversations/" + chat + "/close", own.admin, "");
    assertThat(closed.status()).as(closed.toString()).isEqualTo(200);
    Response deleted = own.http.delete("/api/v1/users/" + own.id("a1"), own.admin);
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
  }

  /** A uri with no interaction at its end is a 400 naming uri, not a 404 for an empty id. */
  @Test
  void a_uri_without_an_interaction_is_a_400_naming_it() {
    Response response =
        org.operate(
            "a1", org.ownedList, TEAM, Map.of("operationName", "PullInteraction", "uri", "/"));
    refused(response, 400);
    assertThat(response.json().get("statusMessage").asText()).contains("uri");
  }

  // ---- the agent's own workbin

  @Test
  void adding_a_joined_request_to_the_agents_own_workbin_takes_it_off_the_list() {
    String chat = org.intake(org.webChannel);
    Response joined = org.http.post("/api/v1/conversations/" + chat + "/join", org.token("a1"), "");
    assertThat(joined.status()).as(joined.toString()).isEqualTo(200);

    long mark = EventsSeen.mark(server.server());
    succeeded(org.operate("a1", org.id("a1"), null, "AddInteraction", chat));
    inOwnWorkbinOf("a1", chat);
    // It moved from the Team's workbin to a1's: both are told (before, only a1's heard of it).
    assertThat(workbinEvents(chat, mark))
        .containsExactlyInAnyOrder(
            "workbin.ItemRemoved " + org.ownedList, "workbin.ItemAdded " + org.id("a1"));
    Response join = org.http.post("/api/v1/conversations/" + chat + "/join", org.token("a2"), "");
    assertThat(join.status()).as(join.toString()).isEqualTo(409);
    // Already there: a second AddInteraction to the own workbin is refused.
    refused(org.operate("a1", org.id("a1"), null, "AddInteraction", chat), 409, 2);
    inOwnWorkbinOf("a1", chat);
  }

  // ---- subscribe

  @Test
  void subscribe_and_unsubscribe_answer_status_code_0_and_toggle_the_list_subscription() {
    assertThat(subscribedLists("a4")).doesNotContain(org.ownedList);

    long subscribed = succeeded(org.operate("a4", org.ownedList, TEAM, "Subscribe", null));
    assertThat(subscribedLists("a4")).containsExactly(org.ownedList);

    long again = succeeded(org.operate("a4", org.ownedList, TEAM, "Subscribe", null));
    assertThat(again).isGreaterThan(subscribed);
    assertThat(subscribedLists("a4")).containsExactly(org.ownedList);

    long unsubscribed = succeeded(org.operate("a4", org.ownedList, TEAM, "Unsubscribe", null));
    assertThat(unsubscribed).isGreaterThan(again);
    assertThat(subscribedLists("a4")).doesNotContain(org.ownedList);

    // An agent's own workbin is always heard: the operations answer but subscribe to no list.
    succeeded(org.operate("a4", org.id("a4"), null, "Subscribe", null));
    succeeded(org.operate("a4", org.id("a4"), null, "Unsubscribe", null));
    assertThat(subscribedLists("a4")).isEmpty();
  }

  // ---- the older pages' uri

  @Test
  void an_interaction_named_by_uri_is_taken_by_the_last_segment_of_its_path() {
    String chat = org.intake(org.webChannel);
    succeeded(
        org.operate(
            "a1",
            org.ownedList,
            TEAM,
            Map.of(
                "operationName",
                "PullInteraction",
                "uri",
                "http://localhost:8090/api/v2/chats/" + chat)));
    inOwnWorkbinOf("a1", chat);

    succeeded(
        org.operate(
            "a1",
            org.ownedList,
            TEAM,
            Map.of("operationName", "AddChat", "uri", "/api/v2/me/chats/" + chat)));
    onTheTeamList(chat, "INACTIVE");
  }
}
