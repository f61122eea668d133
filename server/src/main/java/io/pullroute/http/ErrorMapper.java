package io.pullroute.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.pullroute.auth.OAuthError;
import io.pullroute.common.PullrouteException;
import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.MethodNotAllowed;
import io.pullroute.common.PullrouteException.MissingReference;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.common.PullrouteException.PayloadTooLarge;
import io.pullroute.common.PullrouteException.RateLimited;
import io.pullroute.common.PullrouteException.Unauthenticated;
import io.pullroute.config.Config;
import io.pullroute.store.StoreErrors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one table from exceptions to HTTP statuses and error bodies. */
public final class ErrorMapper {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

  private static final Map<Class<? extends PullrouteException>, Integer> STATUS =
      Map.of(
          InvalidInput.class, 400,
          Unauthenticated.class, 401,
          Forbidden.class, 403,
          NotFound.class, 404,
          MethodNotAllowed.class, 405,
          Conflict.class, 409,
          MissingReference.class, 409,
          PayloadTooLarge.class, 413,
          RateLimited.class, 429);

  private ErrorMapper() {}

  /**
   * Maps failures to answers. A path that no route serves with the request's method is a 404, or a
   * 405 naming the methods {@code methodsOf} finds for it.
   */
  static void register(RoutesConfig routes, Function<String, Set<String>> methodsOf) {
    routes.exception(PullrouteException.class, ErrorMapper::handle);
    routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          if (e.getStatus() == 404) {
            noRoute(ctx, methodsOf);
          } else if (e.getStatus() == 413) {
            // Javalin's own body reader (a form's) past the limit: the error every route answers.
            handle(new PayloadTooLarge(Config.MAX_BODY_BYTES), ctx);
          } else {
            write(ctx, ErrorResponse.of(e.getStatus(), "http", "http", e.getMessage()));
          }
        });
    routes.exception(
        Exception.class,
        (e, ctx) -> {
          Answer answer = describe(e, false);
          if (answer.status() == 500) {
            LOG.error("unhandled failure on {} {}", ctx.method(), ctx.path(), e);
          }
          answer.headers().forEach(ctx::header);
          ctx.status(answer.status()).json(answer.body());
        });
    routes.error(
        404,
        ctx -> {
          if (ctx.resultInputStream() == null) {
            noRoute(ctx, methodsOf);
          }
        });
  }

  private static void noRoute(Context ctx, Function<String, Set<String>> methodsOf) {
    Set<String> allowed = methodsOf.apply(ctx.path());
    if (allowed.isEmpty()) {
      write(
          ctx,
          ErrorResponse.of(
              404, "path", "notFound", "no route for " + ctx.method().name() + " " + ctx.path()));
    } else {
      handle(new MethodNotAllowed(ctx.method().name(), ctx.path(), allowed), ctx);
    }
  }

  /** What a failure answers: status, extra headers and the JSON body. */
  record Answer(int status, Map<String, String> headers, Object body) {}

  static void handle(PullrouteException failure, Context ctx) {
    Answer answer = describe(failure);
    answer.headers().forEach(ctx::header);
    ctx.status(answer.status()).json(answer.body());
  }

  /**
   * The answer to {@code failure}: an overloaded store is a 503 with {@code Retry-After}; anything
   * else not a {@link PullrouteException} is a logged 500.
   */
  static Answer describe(Throwable failure) {
    return describe(failure, true);
  }

  private static Answer describe(Throwable failure, boolean logUnknown) {
    if (failure instanceof OAuthError oauth) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", oauth.error());
      body.put("error_description", oauth.getMessage());
      Map<String, String> headers = new LinkedHashMap<>();
      if (oauth.status() == 401) {
        headers.put("WWW-Authenticate", "Basic realm=\"pullroute\"");
      }
      headers.put("Cache-Control", "no-store");
      return new Answer(oauth.status(), headers, body);
    }
    if (StoreErrors.isOverloaded(failure)) {
      LOG.warn("store overloaded: {}", failure.toString());
      return new Answer(
          503,
          Map.of("Retry-After", "1"),
          ErrorResponse.of(
              503, "server", "unavailable", "the server is overloaded; retry after a second"));
    }
    if (!(failure instanceof PullrouteException)) {
      // A write of any feature that referred to a row deleted meanwhile: the store refused it.
      Optional<MissingReference> missing = StoreErrors.missingReference(failure);
      if (missing.isPresent()) {
        return describe(missing.get(), logUnknown);
      }
    }
    if (!(failure instanceof PullrouteException known)) {
      if (logUnknown) {
        LOG.error("unhandled failure", failure);
      }
      ErrorResponse body =
          ErrorResponse.of(500, "server", "internalError", "internal server error");
      return new Answer(500, Map.of(), body);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (known instanceof RateLimited limited) {
      headers.put("Retry-After", Long.toString(limited.retryAfterSeconds()));
    }
    if (known instanceof MethodNotAllowed notAllowed) {
      headers.put("Allow", String.join(", ", notAllowed.allowed()));
    }
    if (known instanceof Unauthenticated) {
      headers.put("WWW-Authenticate", "Bearer realm=\"pullroute\"");
    }
    if (known instanceof PayloadTooLarge) {
      // The rest of the body is not read: the connection ends with this answer, and says so, or
      // the client's next request on it would meet the closed connection.
      headers.put("Connection", "close");
    }
    Integer status = STATUS.get(known.getClass());
    if (status == null) {
      LOG.error("no status mapped for {}; this indicates a bug", known.getClass(), known);
      status = 500;
    }
    return new Answer(
        status,
        headers,
        ErrorResponse.of(status, known.scope(), known.reason(), known.getMessage()));
  }

  static void write(Context ctx, ErrorResponse body) {
    ctx.status(body.code()).json(body);
  }
}
