package io.pullroute.workbins;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Org;
import io.pullroute.testing.ApiClient.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An organization set up for workbin tests: agent group {@code Team} (agents a1, a2, a4) owning the
 * list {@code Owned} (the Team workbin), agent group {@code Other} (agent a3) owning the list
 * {@code Elsewhere}, and a list {@code Open} with no owner (no group's workbin). Channels: {@code
 * web} (WEB → Owned, chat), {@code email} (EMAIL → Owned, email), {@code sms} (SMS → Owned,
 * openmedia) and {@code otherWeb} (WEB → Elsewhere).
 */
final class WorkbinFixture {
  static final String TEAM = "Team";
  static final String OTHER = "Other";

  final ApiClient http;
  final String orgId;
  final String apiKey;
  final String admin;
  final String ownedList;
  final String otherList;
  final String openList;
  final String webChannel;
  final String emailChannel;
  final String smsChannel;
  final String otherWebChannel;
  private final Map<String, String> userIds = new HashMap<>();
  private final Map<String, String> tokens = new HashMap<>();

  WorkbinFixture(ApiClient http, String orgId) {
    this.http = http;
    this.orgId = orgId;
    Org org = http.createOrganization(orgId);
    this.admin = org.adminToken();
    this.apiKey = org.apiKey();
    for (String name : List.of("a1", "a2", "a3", "a4")) {
      Response user =
          http.post(
              "/api/v1/users",
              admin,
              Map.of(
                  "username",
                  name,
                  "password",
                  password(name),
                  "firstName",
                  name.toUpperCase(java.util.Locale.ROOT),
                  "roles",
                  List.of("agent")));
      userIds.put(name, created(user).get("id").asText());
      tokens.put(name, http.userToken(orgId, name, password(name)));
    }
    created(
        http.post(
            "/api/v1/agent-groups",
            admin,
            Map.of("name", TEAM, "members", List.of(id("a1"), id("a2"), id("a4")))));
    created(
        http.post(
            "/api/v1/agent-groups", admin, Map.of("name", OTHER, "members", List.of(id("a3")))));
    this.ownedList =
        created(http.post("/api/v1/lists", admin, Map.of("name", "Owned", "agentGroup", TEAM)))
            .get("id")
            .asText();
    this.otherList =
        created(http.post("/api/v1/lists", admin, Map.of("name", "Elsewhere", "agentGroup", OTHER)))
            .get("id")
            .asText();
    this.openList =
        created(http.post("/api/v1/lists", admin, Map.of("name", "Open"))).get("id").asText();
    this.webChannel = channel("web", "WEB", ownedList);
    this.emailChannel = channel("email", "EMAIL", ownedList);
    this.smsChannel = channel("sms", "SMS", ownedList);
    this.otherWebChannel = channel("otherWeb", "WEB", otherList);
  }

  static String password(String name) {
    return "pw-" + name;
  }

  private String channel(String name, String type, String listId) {
    Map<String, Object> body = new HashMap<>();
    body.put("name", name);
    body.put("serviceIdentifier", name + "-1133");
    body.put("channelType", type);
    body.put("routingMode", "PULL");
    body.put("listId", listId);
    return created(http.post("/api/v1/channels", admin, body)).get("id").asText();
  }

  static JsonNode created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json();
  }

  String token(String user) {
    return tokens.get(user);
  }

  /** {@code user} gets a new token (after a change of its roles, which a token carries). */
  void signInAgain(String user) {
    tokens.put(user, http.userToken(orgId, user, password(user)));
  }

  String id(String user) {
    return userIds.get(user);
  }

  /** Parks a request on the channel's list; returns its id. */
  String intake(String channelId) {
    Response response =
        http.post(
            "/api/v1/channels/" + channelId + "/conversations",
            admin,
            Map.of(
                "customer",
                Map.of("firstName", "Dave", "lastName", "Doe", "phone", "0991222"),
                "channelCustomerIdentifier",
                "0991222",
                "text",
                "hello"));
    return created(response).get("id").asText();
  }

  /** {@code GET /api/v1/conversations/{id}} as the admin client; must answer 200. */
  JsonNode conversation(String conversationId) {
    Response response = http.get("/api/v1/conversations/" + conversationId, admin);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  /** The ids of the open requests on a list ({@code GET /api/v1/lists/{id}/conversations}). */
  List<String> onList(String listId) {
    Response response = http.get("/api/v1/lists/" + listId + "/conversations", admin);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    List<String> ids = new java.util.ArrayList<>();
    response.json().forEach(conversation -> ids.add(conversation.get("id").asText()));
    return ids;
  }

  // ---- the workbin API

  static String path(String workbinId, String agentGroup, String query) {
    StringBuilder path = new StringBuilder("/api/v2/me/workbins/").append(workbinId);
    String separator = "?";
    if (agentGroup != null) {
      path.append(separator)
          .append("agentGroup=")
          .append(URLEncoder.encode(agentGroup, StandardCharsets.UTF_8));
      separator = "&";
    }
    if (query != null) {
      path.append(separator).append(query);
    }
    return path.toString();
  }

  Response workbins(String user) {
    return http.get("/api/v2/me/workbins", token(user));
  }

  /** {@code GET /api/v2/me/workbins/{id}} with {@code agentGroup} (may be null) and a query. */
  Response content(String user, String workbinId, String agentGroup, String query) {
    return http.get(path(workbinId, agentGroup, query), token(user));
  }

  /** The Team workbin's content with {@code subresources=*}, as {@code user} sees it. */
  JsonNode teamContent(String user) {
    Response response = content(user, ownedList, TEAM, "subresources=*");
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json().get("workbin");
  }

  /** {@code user}'s own workbin's content with {@code subresources=*}. */
  JsonNode ownContent(String user) {
    Response response = content(user, id(user), null, "subresources=*");
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json().get("workbin");
  }

  /** {@code POST /api/v2/me/workbins/{id}} with {@code agentGroup} (may be null) and a body. */
  Response operate(String user, String workbinId, String agentGroup, Map<String, ?> body) {
    return http.post(path(workbinId, agentGroup, null), token(user), body);
  }

  Response operate(String user, String workbinId, String agentGroup, String operation, String id) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("operationName", operation);
    if (id != null) {
      body.put("id", id);
    }
    return operate(user, workbinId, agentGroup, body);
  }

  /** {@code operation} (PullInteraction, PullChat …) of {@code id} from the Team workbin. */
  Response pull(String user, String operation, String id) {
    return operate(user, ownedList, TEAM, operation, id);
  }

  /** A pull that must succeed; returns its referenceId. */
  long pulled(String user, String operation, String id) {
    return succeeded(pull(user, operation, id));
  }

  /** Checks a {@code {"statusCode":0,"referenceId":N}} answer; returns N. */
  static long succeeded(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    JsonNode body = response.json();
    assertThat(fieldNames(body))
        .as(response.toString())
        .containsExactly("statusCode", "referenceId");
    assertThat(body.get("statusCode").isInt()).as(response.toString()).isTrue();
    assertThat(body.get("statusCode").asInt()).as(response.toString()).isZero();
    assertThat(body.get("referenceId").isIntegralNumber()).as(response.toString()).isTrue();
    return body.get("referenceId").asLong();
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The ids in a workbin content's media array ({@code chats}, {@code emails} …). */
  static List<String> ids(JsonNode workbin, String collection) {
    List<String> ids = new java.util.ArrayList<>();
    JsonNode items = workbin.get(collection);
    if (items != null) {
      items.forEach(item -> ids.add(item.get("id").asText()));
    }
    return ids;
  }

  /** The ids of every media array of a workbin content. */
  static List<String> allIds(JsonNode workbin) {
    List<String> ids = new java.util.ArrayList<>();
    for (String collection :
        List.of(
            "chats",
            "emails",
            "workitems",
            "tweets",
            "facebooks",
            "facebooksessions",
            "openmedias")) {
      ids.addAll(ids(workbin, collection));
    }
    return ids;
  }
}
