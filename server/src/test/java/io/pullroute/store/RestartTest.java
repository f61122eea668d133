package io.pullroute.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a restart on the same store must keep. */
class RestartTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void tokens_and_data_survive_a_restart_on_the_same_store(StoreKind store) {
    try (TestServer server = TestServer.start(store)) {
      ApiClient.Org org = server.http().createOrganization("restart");
      String listId =
          server
              .http()
              .post("/api/v1/lists", org.adminToken(), Map.of("name", "Kept"))
              .json()
              .get("id")
              .asText();

      server.restart();

      ApiClient.Response list = server.http().get("/api/v1/lists/" + listId, org.adminToken());
      assertThat(list.status()).as("token issued before the restart").isEqualTo(200);
      assertThat(list.json().get("name").asText()).isEqualTo("Kept");
    }
  }
}
