package io.pullroute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.auth.Principal;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An organization set up for routing tests: agent group {@code Team} (agents a1, a2), agent a3
 * outside it, supervisor s1; list {@code Owned} (owned by Team) and {@code Open} (no owner);
 * channels {@code web} (PULL → Owned), {@code open} (PULL → Open) and {@code push} (PUSH).
 */
final class RoutingFixture {
  final ApiClient http;
  final String orgId;
  final String admin;
  final String ownedList;
  final String openList;
  final String webChannel;
  final String openChannel;
  final String pushChannel;
  final Map<String, String> userIds;
  final Map<String, String> tokens;

  RoutingFixture(ApiClient http, String orgId) {
    this.http = http;
    this.orgId = orgId;
    this.admin = http.createOrganization(orgId).adminToken();
    java.util.Map<String, String> ids = new java.util.HashMap<>();
    java.util.Map<String, String> userTokens = new java.util.HashMap<>();
    for (String name : List.of("a1", "a2", "a3", "s1")) {
      Response user =
          http.post(
              "/api/v1/users",
              admin,
              Map.of(
                  "username",
                  name,
                  "password",
                  "pw-" + name,
                  "firstName",
                  name.toUpperCase(),
                  "roles",
                  List.of(name.startsWith("s") ? "supervisor" : "agent")));
      assertThat(user.status()).as(user.toString()).isEqualTo(201);
      ids.put(name, user.json().get("id").asText());
      userTokens.put(name, http.userToken(orgId, name, "pw-" + name));
    }
    this.userIds = Map.copyOf(ids);
    this.tokens = Map.copyOf(userTokens);
    created(
        http.post(
            "/api/v1/agent-groups",
            admin,
            Map.of("name", "Team", "members", List.of(ids.get("a1"), ids.get("a2")))));
    this.ownedList =
        created(http.post("/api/v1/lists", admin, Map.of("name", "Owned", "agentGroup", "Team")))
            .get("id")
            .asText();
    this.openList =
        created(http.post("/api/v1/lists", admin, Map.of("name", "Open"))).get("id").asText();
    this.webChannel = channel("web", "WEB", "PULL", ownedList);
    this.openChannel = channel("open", "SMS", "PULL", openList);
    this.pushChannel = channel("push", "EMAIL", "PUSH", null);
  }

  String channel(String name, String type, String mode, String listId) {
    Map<String, Object> body = new java.util.HashMap<>();
    body.put("name", name);
    body.put("serviceIdentifier", name + "-1133");
    body.put("channelType", type);
    body.put("routingMode", mode);
    if (listId != null) {
      body.put("listId", listId);
    }
    return created(http.post("/api/v1/channels", admin, body)).get("id").asText();
  }

  private static JsonNode created(Response response) {
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
    return response.json();
  }

  String token(String user) {
    return tokens.get(user);
  }

  String id(String user) {
    return userIds.get(user);
  }

  /** Agent {@code user} as its password token names it, for calls straight to the services. */
  Principal agent(String user) {
    return new Principal(
        Principal.Kind.USER,
        orgId,
        id(user),
        user,
        Set.of("agent"),
        Set.of("agent", "streamingapi"));
  }

  /** Parks a request; returns its id. */
  String intake(String channelId, int priority) {
    Response response =
        http.post(
            "/api/v1/channels/" + channelId + "/conversations",
            admin,
            Map.of(
                "customer",
                Map.of("firstName", "Dave", "lastName", "Doe", "phone", "0991222"),
                "channelCustomerIdentifier",
                "0991222",
                "requestPriority",
                priority,
                "text",
                "hello"));
    return created(response).get("id").asText();
  }

  /**
   * Supervisor s1 puts request {@code conversationId} into the Team's workbin (the Owned list)
   * through {@code node}, one node of this organization's store.
   */
  Response supervisorPutsInTeamWorkbin(ApiClient node, String conversationId) {
    return node.post(
        "/api/v2/me/workbins/" + ownedList + "?agentGroup=Team",
        token("s1"),
        Map.of("operationName", "AddInteraction", "id", conversationId));
  }

  Response join(String user, String conversationId) {
    return http.post("/api/v1/conversations/" + conversationId + "/join", token(user), "");
  }

  Response leave(String user, String conversationId) {
    return http.post("/api/v1/conversations/" + conversationId + "/leave", token(user), "");
  }

  Response close(String token, String conversationId) {
    return http.post("/api/v1/conversations/" + conversationId + "/close", token, "");
  }

  JsonNode read(String conversationId) {
    Response response = http.get("/api/v1/conversations/" + conversationId, admin);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }
}
