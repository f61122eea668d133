package io.pullroute.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import org.junit.jupiter.api.Test;

/** {@code --demo} bootstraps DESIGN.md §3's organization, and doing it again changes nothing. */
class DemoTest {

  @Test
  void demo_bootstrap_creates_the_documented_organization_idempotently() {
    try (TestServer server = TestServer.start(StoreKind.H2, config -> config.withDemo(true))) {
      JsonNode first = snapshot(server.http());
      server.restart();
      JsonNode second = snapshot(server.http());
      assertThat(second).isEqualTo(first);

      assertThat(first.get("lists").findValuesAsText("name")).containsExactly("Sales", "Support");
      assertThat(first.get("lists").findValuesAsText("agentGroup"))
          .containsExactly("Sales Team", "Support Team");
      assertThat(first.get("users").findValuesAsText("username"))
          .containsExactly("agent1", "agent2", "agent3", "agent4", "agent5", "supervisor1");
      assertThat(first.get("groups").findValuesAsText("name"))
          .containsExactly("Sales Team", "Support Team");
      assertThat(first.get("groups").get(1).get("members")).hasSize(3);
      assertThat(first.get("placeGroups").findValuesAsText("name")).containsExactly("Front Desk");
      assertThat(first.get("channels").findValuesAsText("name")).containsExactly("email", "web");
      assertThat(first.get("channels").findValuesAsText("channelType"))
          .containsExactly("EMAIL", "WEB");

      ApiClient http = server.http();
      assertThat(http.clientToken("demo-operator", "demo-operator-secret")).isNotBlank();
      String agent = http.userToken("demo", "agent1", "demo");
      assertThat(http.get("/api/v1/me", agent).json().get("roles").get(0).asText())
          .isEqualTo("agent");
      String supervisor = http.userToken("demo", "supervisor1", "demo");
      assertThat(http.get("/api/v1/me", supervisor).json().get("roles").get(0).asText())
          .isEqualTo("supervisor");
    }
  }

  private static JsonNode snapshot(ApiClient http) {
    String admin = http.clientToken("demo-admin", "demo-admin-secret");
    var node = ApiClient.JSON.createObjectNode();
    node.set("lists", http.get("/api/v1/lists", admin).json());
    node.set("users", http.get("/api/v1/users", admin).json());
    node.set("groups", http.get("/api/v1/agent-groups", admin).json());
    node.set("placeGroups", http.get("/api/v1/place-groups", admin).json());
    node.set("channels", http.get("/api/v1/channels", admin).json());
    return node;
  }
}
