package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * An organization set up for streaming tests, with the calls of the streaming API. Users are
 * created on demand (password hashing is what makes a fixture slow): any of agents {@code a1},
 * {@code a2} (both in agent group {@code Team}), {@code a3} (outside it) and supervisor {@code s1}.
 * Lists {@code Owned} (owned by Team) and {@code Open} (no owner); PULL channels {@code web} →
 * Owned and {@code open} → Open. The organization's admin client has scopes admin, streamingapi,
 * channel and publish.
 */
final class StreamingFixture {
  static final String INVALID_SESSION = "Invalid or expired session";

  /** ISO-8601 UTC with milliseconds, as spec 003 writes times. */
  static final String TIME = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

  /** For polls that must stay parked while the test goes on: one connection each. */
  private static final HttpClient ASYNC =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  final TestServer server;
  final String orgId;
  final String apiKey;
  final String admin;
  final String ownedList;
  final String openList;
  final String webChannel;
  final String openChannel;
  private final Map<String, String> userIds = new HashMap<>();
  private final Map<String, String> tokens = new HashMap<>();

  StreamingFixture(TestServer server, String orgId, String... users) {
    this.server = server;
    this.orgId = orgId;
    ApiClient.Org org = server.http().createOrganization(orgId);
    this.apiKey = org.apiKey();
    this.admin = org.adminToken();
    for (String name : users) {
      Response user =
          http()
              .post(
                  "/api/v1/users",
                  admin,
                  Map.of(
                      "username",
                      name,
                      "password",
                      "pw-" + name,
                      "firstName",
                      name.toUpperCase(Locale.ROOT),
                      "roles",
                      List.of(name.startsWith("s") ? "supervisor" : "agent")));
      assertThat(user.status()).as(user.toString()).isEqualTo(201);
      userIds.put(name, user.json().get("id").asText());
      tokens.put(name, http().userToken(orgId, name, "pw-" + name));
    }
    List<String> team = new ArrayList<>();
    for (String member : List.of("a1", "a2")) {
      if (userIds.containsKey(member)) {
        team.add(userIds.get(member));
      }
    }
    created(http().post("/api/v1/agent-groups", admin, Map.of("name", "Team", "members", team)));
    this.ownedList =
        created(http().post("/api/v1/lists", admin, Map.of("name", "Owned", "agentGroup", "Team")))
            .get("id")
            .asText();
    this.openList =
        created(http().post("/api/v1/lists", admin, Map.of("name", "Open"))).get("id").asText();
    this.webChannel = channel("web", "WEB", ownedList);
    this.openChannel = channel("open", "SMS", openList);
    settle();
  }

  /** The same organization, users and tokens, called through {@code node}. */
  StreamingFixture on(TestServer node) {
    return new StreamingFixture(node, this);
  }

  private StreamingFixture(TestServer node, StreamingFixture same) {
    this.server = node;
    this.orgId = same.orgId;
    this.apiKey = same.apiKey;
    this.admin = same.admin;
    this.ownedList = same.ownedList;
    this.openList = same.openList;
    this.webChannel = same.webChannel;
    this.openChannel = same.openChannel;
    this.userIds.putAll(same.userIds);
    this.tokens.putAll(same.tokens);
  }

  ApiClient http() {
    return server.http();
  }

  String token(String user) {
    return tokens.get(user);
  }

  String id(String user) {
    return userIds.get(user);
  }

  private String channel(String name, String type, String listId) {
    return created(
            http()
                .post(
                    "/api/v1/channels",
                    admin,
                    Map.of(
                        "name",
                        name,
                        "serviceIdentifier",
                        name + "-1133",
                        "channelType",
                        type,
                        "routingMode",
                        "PULL",
                        "listId",
                        listId)))
        .get("id")
        .asText();
  }

  private static JsonNode created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json();
  }

  /** Waits until the event hub has read every committed event, so polls see all of them. */
  void settle() {
    long last = new JdbiEventLog(server.server().database().jdbi()).lastSeq();
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> server.server().hub().headSeq() >= last);
  }

  // ---- the streaming API

  String base(int version) {
    return "/via/v" + version + "/organizations/" + orgId + "/streaming";
  }

  /** A request under /via/ with the token, the organization's API key and the session header. */
  HttpRequest.Builder via(
      String method, String path, String token, String sessionId, String jsonBody) {
    HttpRequest.Builder request =
        http()
            .request(path)
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + token)
            .header("x-api-key", apiKey);
    if (sessionId != null) {
      request.header(StreamingRoutes.SESSION_HEADER, sessionId);
    }
    if (jsonBody == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
    }
    return request;
  }

  Response call(String method, String path, String token, String sessionId, Object body) {
    return http().send(via(method, path, token, sessionId, json(body)));
  }

  Response createSession(String token, int version, Object body) {
    return call("POST", base(version) + "/session", token, null, body);
  }

  /** A new session with the default inactivity delay; v3 without acknowledgement. */
  String session(String token, int version) {
    Response created = createSession(token, version, null);
    assertThat(created.status()).as(created.toString()).isEqualTo(200);
    return created.json().get("sessionId").asText();
  }

  /** A new v3 session. */
  String sessionV3(String token, boolean acknowledge) {
    Response created =
        createSession(
            token, 3, Map.of("inactivityDelay", 600, "requireAcknowledgement", acknowledge));
    assertThat(created.status()).as(created.toString()).isEqualTo(200);
    return created.json().get("sessionId").asText();
  }

  Response deleteSession(String token, int version, String sessionId) {
    return call("DELETE", base(version) + "/session", token, sessionId, null);
  }

  /** {@code maxEvents} as the query gives it; null for none. */
  Response poll(String token, int version, String sessionId, Object maxEvents) {
    return http().send(via("GET", pollPath(version, maxEvents), token, sessionId, null));
  }

  CompletableFuture<Response> pollAsync(
      String token, int version, String sessionId, Object maxEvents) {
    HttpRequest request = via("GET", pollPath(version, maxEvents), token, sessionId, null).build();
    return ASYNC
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> new Response(response.statusCode(), response));
  }

  private String pollPath(int version, Object maxEvents) {
    return base(version) + "/events" + (maxEvents == null ? "" : "?maxEvents=" + maxEvents);
  }

  /** The events of one successful poll. */
  List<JsonNode> events(String token, int version, String sessionId, int maxEvents) {
    Response response = poll(token, version, sessionId, maxEvents);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return list(response.json().get("events"));
  }

  /**
   * Polls (maxEvents 200) until the events collected satisfy {@code done}; answers them all. The
   * clock moves 100 ms per poll so that the session's poll rate limit never stops the loop.
   */
  List<JsonNode> pollUntil(
      String token, int version, String sessionId, Predicate<List<JsonNode>> done) {
    List<JsonNode> seen = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .pollInSameThread()
        .until(
            () -> {
              server.clock().advance(Duration.ofMillis(100));
              seen.addAll(events(token, version, sessionId, 200));
              return done.test(seen);
            });
    return seen;
  }

  Response acknowledge(String token, String sessionId, Object body) {
    return call("POST", base(3) + "/acknowledge", token, sessionId, body);
  }

  /** Acknowledges events by id. */
  Response acknowledgeIds(String token, String sessionId, List<String> eventIds) {
    return acknowledge(
        token,
        sessionId,
        Map.of("events", eventIds.stream().map(id -> Map.of("eventId", id)).toList()));
  }

  Response subscribe(String token, int version, String sessionId, Object body) {
    return call("POST", base(version) + "/subscriptions", token, sessionId, body);
  }

  /** Adds a subscription to a session; fails the test when refused. */
  String subscribed(String token, int version, String sessionId, Map<String, Object> criteria) {
    Response response = subscribe(token, version, sessionId, Map.of("filterCriteria", criteria));
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json().get("subscriptionId").asText();
  }

  static Map<String, Object> criteria(
      String catalogType, List<String> events, String resourceType, Object resourceIds) {
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("resourceType", resourceType);
    resources.put("resourceIds", resourceIds);
    Map<String, Object> criteria = new LinkedHashMap<>();
    criteria.put("catalogType", catalogType);
    criteria.put("catalogTypeEvents", events);
    criteria.put("resources", resources);
    return criteria;
  }

  // ---- what makes events

  /** Parks a request on the channel's list (with a first customer text); returns its id. */
  String intake(String channelId, String text) {
    Response response =
        http()
            .post(
                "/api/v1/channels/" + channelId + "/conversations",
                admin,
                Map.of(
                    "customer",
                    Map.of("firstName", "Dave", "lastName", "Doe", "phone", "0991222"),
                    "channelCustomerIdentifier",
                    "0991222",
                    "text",
                    text));
    return created(response).get("id").asText();
  }

  /** The user subscribes to a list (routing, not the streaming API). */
  void subscribeToList(String user, String listId) {
    Response response = http().put("/api/v1/me/subscriptions/" + listId, token(user), "");
    assertThat(response.status()).as(response.toString()).isBetween(200, 204);
  }

  /** The user chooses READY or NOT_READY. */
  void state(String user, String state) {
    Response response = http().put("/api/v1/me/state", token(user), Map.of("state", state));
    assertThat(response.status()).as(response.toString()).isBetween(200, 204);
  }

  void join(String user, String conversationId) {
    Response response =
        http().post("/api/v1/conversations/" + conversationId + "/join", token(user), "");
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
  }

  void leave(String user, String conversationId) {
    Response response =
        http().post("/api/v1/conversations/" + conversationId + "/leave", token(user), "");
    assertThat(response.status()).as(response.toString()).isBetween(200, 204);
  }

  /** A text of the customer, sent by the channel connector. */
  void customerText(String conversationId, String text) {
    Response response =
        http()
            .post(
                "/api/v1/conversations/" + conversationId + "/messages",
                admin,
                Map.of("text", text));
    assertThat(response.status()).as(response.toString()).isBetween(200, 201);
  }

  /** Publishes an event with the publish API; returns its id. */
  String publish(String eventType, String resourceType, String resourceId, Object payload) {
    Response response =
        http()
            .post(
                "/api/v1/events",
                admin,
                Map.of(
                    "eventType",
                    eventType,
                    "resource",
                    Map.of("type", resourceType, "id", resourceId),
                    "payload",
                    payload));
    assertThat(response.status()).as(response.toString()).isEqualTo(202);
    return response.json().get("eventId").asText();
  }

  /** An {@code outreach.status} event of campaign {@code c1}, as spec 003's example. */
  String publishOutreach(int recordNumber) {
    return publish("outreach.status", "campaigns", "c1", outreachStatus(recordNumber));
  }

  static Map<String, Object> outreachStatus(int recordNumber) {
    return Map.of(
        "requestId", "f39a122c-873f-47f7-8724-c9efdb9d8915",
        "sessionId", "4c471477-feec-4357-b84e-065a4fabe649",
        "fastPathListName", "01_Fastpath_MK",
        "message", "FastPath record inserted to fastpathrecinfo table",
        "recordNumber", recordNumber);
  }

  // ---- reading events

  static List<JsonNode> list(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    array.forEach(items::add);
    return items;
  }

  /** The type of a v2 or v3 event. */
  static String type(JsonNode event) {
    return event.has("eventType") ? event.get("eventType").asText() : event.get("type").asText();
  }

  /** The id of a v2 or v3 event. */
  static String eventId(JsonNode event) {
    return event.has("eventId") ? event.get("eventId").asText() : event.get("id").asText();
  }

  static List<String> types(List<JsonNode> events) {
    return events.stream().map(StreamingFixture::type).toList();
  }

  static List<String> ids(List<JsonNode> events) {
    return events.stream().map(StreamingFixture::eventId).toList();
  }

  /** The {@code payload} string of an event, parsed. */
  static JsonNode payload(JsonNode event) {
    return read(event.get("payload").asText());
  }

  /** The {@code pullModeEvent} string inside a pullMode event's payload, parsed. */
  static JsonNode pullModeEvent(JsonNode event) {
    return read(payload(event).get("pullModeEvent").asText());
  }

  static JsonNode read(String json) {
    try {
      return ApiClient.JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String json(Object body) {
    if (body == null || body instanceof String) {
      return (String) body;
    }
    try {
      return ApiClient.JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code errors[0].scope} of an error response. */
  static String scope(Response response) {
    return response.json().at("/errors/0/scope").asText();
  }
}
