package io.pullroute.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** A small HTTP client over real sockets for API tests. Thread-safe. */
public final class ApiClient {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final String base;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  public ApiClient(String base) {
    this.base = base;
  }

  public String base() {
    return base;
  }

  /** A response with its body parsed as JSON when it is JSON. */
  public record Response(int status, HttpResponse<String> raw) {
    public JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + raw.body(), e);
      }
    }

    public String body() {
      return raw.body();
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          client.send(
              request.timeout(Duration.ofSeconds(60)).build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path));
  }

  public Response get(String path, String token) {
    return send(authorized(request(path).GET(), token));
  }

  public Response delete(String path, String token) {
    return send(authorized(request(path).DELETE(), token));
  }

  public Response post(String path, String token, Object body) {
    return send(authorized(withJson(request(path), "POST", body), token));
  }

  public Response put(String path, String token, Object body) {
    return send(authorized(withJson(request(path), "PUT", body), token));
  }

  public Response patch(String path, String token, Object body) {
    return send(authorized(withJson(request(path), "PATCH", body), token));
  }

  private static HttpRequest.Builder withJson(
      HttpRequest.Builder request, String method, Object body) {
    String text;
    try {
      text = body instanceof String string ? string : JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return request
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(text));
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder request, String token) {
    return token == null ? request : request.header("Authorization", "Bearer " + token);
  }

  /** Posts a form to the token endpoint. */
  public Response token(Map<String, String> form) {
    return send(
        request("/tokenservice/oauth2/access_token")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(encode(form))));
  }

  public static String encode(Map<String, String> form) {
    return form.entrySet().stream()
        .map(
            entry ->
                URLEncoder.encode(entry.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(entry.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  /** A client-credentials token; fails the test when none is granted. */
  public String clientToken(String clientId, String secret) {
    Response response =
        token(
            Map.of(
                "grant_type",
                "client_credentials",
                "client_id",
                clientId,
                "client_secret",
                secret));
    if (response.status() != 200) {
      throw new AssertionError("token for " + clientId + " refused: " + response);
    }
    return response.json().get("access_token").asText();
  }

  /** A password token; fails the test when none is granted. */
  public String userToken(String orgId, String username, String password) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "password");
    form.put("org_id", orgId);
    form.put("username", username);
    form.put("password", password);
    Response response = token(form);
    if (response.status() != 200) {
      throw new AssertionError("token for " + username + " refused: " + response);
    }
    return response.json().get("access_token").asText();
  }

  public String operatorToken() {
    return clientToken("operator", TestServer.OPERATOR_SECRET);
  }

  /** A new organization with its admin token. */
  public record Org(String orgId, String apiKey, String adminToken) {}

  public Org createOrganization(String orgId) {
    Response created = post("/api/v1/organizations", operatorToken(), Map.of("orgId", orgId));
    if (created.status() != 201) {
      throw new AssertionError("organization " + orgId + " not created: " + created);
    }
    JsonNode body = created.json();
    String token =
        clientToken(
            body.at("/adminClient/clientId").asText(),
            body.at("/adminClient/clientSecret").asText());
    return new Org(orgId, body.get("apiKey").asText(), token);
  }
}
