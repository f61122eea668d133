package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.RandomConnectionPool;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;

/** An asynchronous HTTP client for load: Jetty's, with enough connections for parked polls. */
final class Http implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** HTTP/1.1 holds a connection per request in flight; HTTP/2 (h2c) many on one connection. */
  enum Protocol {
    HTTP_1_1,
    HTTP_2
  }

  private final HttpClient client;
  private final String base;

  /**
   * {@code idleTimeout} must be shorter than the server's, which closes idle connections, and
   * longer than the longest request (a parked poll), which it would cut.
   */
  Http(String base, int maxConnections, Duration idleTimeout) throws Exception {
    this(base, Protocol.HTTP_1_1, Pool.FIRST, maxConnections, idleTimeout);
  }

  /** How an HTTP/1.1 client finds an idle connection for a request. */
  enum Pool {
    /** Jetty's default: the first idle one from the start of the pool. */
    FIRST,
    /**
     * The first idle one from a random place: for loads that park a request on most connections
     * (fan-out, ack, intake). There, Jetty's default looked past every connection held by a parked
     * poll on every request: 19 % of the fan-out load generator's CPU on pullroute's side and 14 %
     * on CometD's (JFR), CPU taken from the servers under test on this 2-core machine. Where few
     * requests park (claim, polls) it gained nothing (bench/REPORT.md, session 26). {@code
     * -Dpullroute.bench.pool=first} (in {@code PULLROUTE_JAVA_OPTS}) makes every client use {@link
     * #FIRST}, to compare.
     */
    RANDOM
  }

  Http(String base, Protocol protocol, Pool pool, int maxConnections, Duration idleTimeout)
      throws Exception {
    this.base = base;
    client =
        protocol == Protocol.HTTP_2
            ? new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()))
            : http11(pool, maxConnections);
    client.setMaxConnectionsPerDestination(maxConnections);
    client.setMaxRequestsQueuedPerDestination(1_000_000);
    client.setIdleTimeout(idleTimeout.toMillis());
    client.start();
  }

  /**
   * An HTTP/1.1 client (not started) of at most {@code maxConnections} per destination, whose pool
   * finds idle connections as {@code pool} says.
   */
  static HttpClient http11(Pool pool, int maxConnections) {
    HttpClient client = new HttpClient();
    client.setMaxConnectionsPerDestination(maxConnections);
    if (pool == Pool.RANDOM && !"first".equals(System.getProperty("pullroute.bench.pool"))) {
      client
          .getTransport()
          .setConnectionPoolFactory(
              destination -> new RandomConnectionPool(destination, maxConnections, 1));
    }
    return client;
  }

  record Response(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
      }
    }
  }

  Request request(String method, String path, Map<String, String> headers, Object body) {
    Request request =
        client
            .newRequest(base + path)
            .method(HttpMethod.fromString(method))
            .timeout(120, TimeUnit.SECONDS);
    request.headers(fields -> headers.forEach(fields::put));
    if (body != null) {
      byte[] bytes;
      try {
        bytes =
            body instanceof String text
                ? text.getBytes(StandardCharsets.UTF_8)
                : JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String type =
          body instanceof String text && text.contains("=") && !text.startsWith("{")
              ? "application/x-www-form-urlencoded"
              : "application/json";
      request.body(new BytesRequestContent(type, bytes));
    }
    return request;
  }

  CompletableFuture<Response> send(
      String method, String path, Map<String, String> headers, Object body) {
    return new CompletableResponseListener(request(method, path, headers, body), 16 * 1024 * 1024)
        .send()
        .thenApply(
            (ContentResponse response) ->
                new Response(response.getStatus(), response.getContentAsString()));
  }

  Response call(String method, String path, Map<String, String> headers, Object body) {
    try {
      return send(method, path, headers, body).get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
