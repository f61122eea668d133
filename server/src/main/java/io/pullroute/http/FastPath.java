package io.pullroute.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.pullroute.auth.AuthService;
import io.pullroute.auth.Principal;
import io.pullroute.common.PullrouteException.PayloadTooLarge;
import io.pullroute.common.RateLimiter;
import io.pullroute.config.Config;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;

/**
 * Jetty's handler in front of Javalin that serves the {@link FastRoute}s and passes every other
 * request on. Per request it does what the Javalin pipeline does for these routes — correlation id,
 * size limit, authentication, API key, rate limit, the error bodies of {@link ErrorMapper}, the
 * request timer — without building Javalin's context, matching its routes, or copying the answer
 * through a stream.
 */
final class FastPath extends Handler.Wrapper {
  /** Records one request in the HTTP timers. */
  interface Timing {
    void record(String method, String route, int status, long nanos);
  }

  /** Most of a body left unread that is read and dropped before its connection closes. */
  static final long DRAIN_BYTES = 8 * Config.MAX_BODY_BYTES;

  private final List<FastRoute> routes;
  private final AuthService auth;
  private final RateLimiter limiter;
  private final Timing timing;

  FastPath(List<FastRoute> routes, AuthService auth, RateLimiter limiter, Timing timing) {
    this.routes = routes;
    this.auth = auth;
    this.limiter = limiter;
    this.timing = timing;
  }

  @Override
  public InvocationType getInvocationType() {
    return InvocationType.BLOCKING; // authentication may read the store
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    for (FastRoute route : routes) {
      Map<String, String> parameters = route.match(request.getMethod(), path);
      if (parameters != null) {
        serve(route, parameters, path, request, response, callback);
        return true;
      }
    }
    return super.handle(request, response, callback);
  }

  private void serve(
      FastRoute route,
      Map<String, String> parameters,
      String path,
      Request request,
      Response response,
      Callback callback) {
    long started = System.nanoTime();
    String correlationId = HttpServer.correlationId(request.getHeaders().get("X-Correlation-Id"));
    response.getHeaders().put("X-Correlation-Id", correlationId);
    CompletableFuture<?> answer;
    try {
      // First, as on the framework's routes: a route that reads no query parameter (a publish)
      // went on without it and answered 202.
      UrlEncoding.requireValidQuery(request.getHttpURI().getQuery());
      if (request.getLength() > Config.MAX_BODY_BYTES) {
        throw new PayloadTooLarge(Config.MAX_BODY_BYTES);
      }
      Principal principal = auth.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
      HttpServer.checkViaPath(path, request.getHeaders().get("x-api-key"), principal, auth);
      limiter.acquire(principal.key());
      answer = route.handler().handle(new JettyCall(principal, correlationId, request, parameters));
    } catch (RuntimeException failure) {
      answer = CompletableFuture.failedFuture(failure);
    }
    CompletableFuture<?> pending = answer;
    answer.whenComplete(
        (body, failure) -> finish(route, started, pending, request, response, callback));
  }

  private void finish(
      FastRoute route,
      long started,
      CompletableFuture<?> answer,
      Request request,
      Response response,
      Callback callback) {
    int status;
    Object body;
    try {
      body = answer.join();
      status = 200;
      if (body instanceof FastRoute.Answer given) {
        given.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        status = given.status();
        body = given.body();
      }
    } catch (CompletionException | CancellationException e) {
      Throwable failure =
          e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      ErrorMapper.Answer mapped = ErrorMapper.describe(failure);
      mapped.headers().forEach((name, value) -> response.getHeaders().put(name, value));
      status = mapped.status();
      body = mapped.body();
    }
    byte[] bytes;
    try {
      bytes =
          body instanceof FastRoute.Written written
              ? written.json()
              : Json.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      // An answer that cannot be written is the server's failure, answered like any other.
      ErrorMapper.Answer mapped = ErrorMapper.describe(e);
      status = mapped.status();
      bytes = Json.MAPPER.valueToTree(mapped.body()).toString().getBytes(StandardCharsets.UTF_8);
    }
    int answered = status;
    byte[] written = bytes;
    dropUnreadBody(
        request,
        readToEnd -> {
          if (!readToEnd) {
            // Answered before the whole body arrived, and more than is read and dropped is
            // coming: the connection ends with this answer, and says so, or the client would
            // send its next request on a closing connection.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
          }
          response.setStatus(answered);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.getHeaders().put(HttpHeader.CONTENT_LENGTH, written.length);
          response.write(true, ByteBuffer.wrap(written), callback);
          timing.record(route.method(), route.path(), answered, System.nanoTime() - started);
        });
  }

  /**
   * Reads and drops what is left of {@code request}'s body (at most {@link #DRAIN_BYTES}; nothing
   * when the client sends it only when told to), then runs {@code then} with whether the body was
   * read to its end. An answer given before the body arrived (a 413 on the declared length, a
   * refusal) then leaves a connection with nothing unread, and the client still sending reads it
   * (the framework's routes: {@link HttpServer#dropUnreadBody}). Closed with the body unread, the
   * connection was reset by the kernel, which could take the answer with it: 5 of 150 oversized
   * POSTs of the JDK's HTTP client to a fast route read no answer at all. Without blocking: what
   * has not come yet is read when it comes.
   */
  private static void dropUnreadBody(Request request, java.util.function.Consumer<Boolean> then) {
    if (HttpServer.waitsToSend(request.getHeaders().get(HttpHeader.EXPECT))) {
      then.accept(request.consumeAvailable());
      return;
    }
    new Runnable() {
      private long left = DRAIN_BYTES;

      @Override
      public void run() {
        while (true) {
          Content.Chunk chunk = request.read();
          if (chunk == null) {
            request.demand(this);
            return;
          }
          left -= chunk.remaining();
          boolean end = chunk.isLast() && !Content.Chunk.isFailure(chunk);
          boolean stop = chunk.isLast() || Content.Chunk.isFailure(chunk) || left < 0;
          chunk.release();
          if (stop) {
            then.accept(end);
            return;
          }
        }
      }
    }.run();
  }

  /** A request as a fast route's handler sees it. */
  private record JettyCall(
      Principal principal, String correlationId, Request request, Map<String, String> path)
      implements FastRoute.Call {
    @Override
    public byte[] body() {
      return JsonBody.readLimited(Content.Source.asInputStream(request));
    }

    @Override
    public String header(String name) {
      return request.getHeaders().get(name);
    }

    @Override
    public String queryParam(String name) {
      // The query passed UrlEncoding.requireValidQuery before the route ran.
      return UrlEncoding.queryParam(request.getHttpURI().getQuery(), name);
    }

    @Override
    public String pathParam(String name) {
      String raw = path.get(name);
      return raw == null ? null : URIUtil.decodePath(raw);
    }
  }
}
