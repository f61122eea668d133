package io.pullroute.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The operator's {@code POST /api/v1/organizations}. */
@ParameterizedClass
@EnumSource(StoreKind.class)
class OrganizationApiTest {
  @Parameter StoreKind store;

  private static TestServer server;
  private static ApiClient http;

  @BeforeParameterizedClassInvocation
  static void start(StoreKind store) {
    server = TestServer.start(store);
    http = server.http();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    server.close();
  }

  @Test
  void the_operator_creates_an_organization_with_an_api_key_and_an_admin_client() {
    Response response =
        http.post("/api/v1/organizations", http.operatorToken(), Map.of("orgId", "acme"));
    assertThat(response.status()).isEqualTo(201);
    JsonNode body = response.json();
    assertThat(body.get("orgId").asText()).isEqualTo("acme");
    assertThat(body.get("apiKey").asText()).hasSizeGreaterThanOrEqualTo(32);
    assertThat(body.at("/adminClient/clientId").asText()).isEqualTo("acme-admin");
    String token =
        http.clientToken(
            body.at("/adminClient/clientId").asText(),
            body.at("/adminClient/clientSecret").asText());
    Response created = http.post("/api/v1/lists", token, Map.of("name", "First"));
    assertThat(created.status()).isEqualTo(201);
    assertThat(
            http.get("/api/v1/organizations", http.operatorToken())
                .json()
                .findValuesAsText("orgId"))
        .contains("acme");
  }

  @Test
  void an_existing_organization_is_a_409() {
    http.createOrganization("twice");
    Response again =
        http.post("/api/v1/organizations", http.operatorToken(), Map.of("orgId", "twice"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().at("/errors/0/scope").asText()).isEqualTo("orgId");
  }

  @Test
  void an_invalid_or_missing_org_id_is_a_400_naming_it() {
    for (Object body :
        new Object[] {Map.of("orgId", "Not Valid!"), Map.of("orgId", ""), Map.of()}) {
      Response response = http.post("/api/v1/organizations", http.operatorToken(), body);
      assertThat(response.status()).as(response.toString()).isEqualTo(400);
      assertThat(response.json().at("/errors/0/scope").asText()).isEqualTo("orgId");
    }
  }

  @Test
  void only_the_operator_creates_organizations() {
    ApiClient.Org org = http.createOrganization("notoperator");
    Response response =
        http.post("/api/v1/organizations", org.adminToken(), Map.of("orgId", "sneaky"));
    assertThat(response.status()).isEqualTo(403);
    assertThat(http.get("/api/v1/organizations", org.adminToken()).status()).isEqualTo(403);
  }

  @Test
  void the_operator_has_no_organization_to_administer() {
    assertThat(http.get("/api/v1/lists", http.operatorToken()).status()).isEqualTo(403);
  }
}
