package io.pullroute.http;

import io.pullroute.auth.Principal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A route served on Jetty's own handler, in front of Javalin, for the requests that dominate the
 * traffic: the long poll and the workbin operations (pulls). It runs the same pipeline (correlation
 * id, size limit, authentication, API key, rate limit, errors, timing) without Javalin's
 * per-request context. It is documented in {@code /openapi.json} like every other route.
 *
 * @param method the HTTP method, e.g. {@code GET}
 * @param path the route as documented, with {@code {name}} parameters
 * @param parts the path's literal parts and its parameters' names, alternating, literals first and
 *     last
 */
public record FastRoute(String method, String path, Handler handler, List<String> parts) {

  /**
   * What a fast route does: answers a body to send as JSON with status 200 (or one already {@link
   * Written}, or an {@link Answer} with a status of its own), or fails. The answer is written on
   * the thread that completes the future, so complete it on one that may do that work (streaming
   * completes its polls on virtual threads of its own, never on the event hub's).
   */
  @FunctionalInterface
  public interface Handler {
    CompletableFuture<?> handle(Call call);
  }

  /** A body already written as JSON, sent as these bytes (status 200). */
  public record Written(byte[] json) {}

  /** An answer with another status than 200, and headers of its own. */
  public record Answer(int status, Object body, Map<String, String> headers) {}

  /** One request, authenticated, as a fast route's handler sees it. */
  public interface Call {
    Principal principal();

    /** The request's correlation id: its {@code X-Correlation-Id}, or one made for it. */
    String correlationId();

    /** The body, at most {@link io.pullroute.config.Config#MAX_BODY_BYTES}; read once. */
    byte[] body();

    String header(String name);

    String queryParam(String name);

    String pathParam(String name);
  }

  /**
   * A route for {@code path}, whose {@code {name}} parameters each match one non-empty path segment
   * (so each is followed by {@code /} or ends the path); a trailing {@code /} is accepted.
   */
  static FastRoute of(String method, String path, Handler handler) {
    List<String> parts = new ArrayList<>();
    Matcher parameter = Pattern.compile("\\{([^/}]+)}").matcher(path);
    int last = 0;
    while (parameter.find()) {
      if (parameter.end() < path.length() && path.charAt(parameter.end()) != '/') {
        throw new IllegalArgumentException(
            "a parameter must be a whole path segment: " + parameter.group() + " in " + path);
      }
      parts.add(path.substring(last, parameter.start()));
      parts.add(parameter.group(1));
      last = parameter.end();
    }
    parts.add(path.substring(last));
    return new FastRoute(method, path, handler, List.copyOf(parts));
  }

  /** The path parameters of {@code requestPath}, or null when this route does not match it. */
  Map<String, String> match(String requestMethod, String requestPath) {
    if (!method.equals(requestMethod)) {
      return null;
    }
    // Literal parts and parameter names alternate, literals first and last; no regular expression
    // (this runs for every request, and a poll is a request).
    Map<String, String> parameters = Map.of();
    int at = 0;
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      if (i % 2 == 0) {
        if (!requestPath.startsWith(part, at)) {
          return null;
        }
        at += part.length();
        continue;
      }
      int end = requestPath.indexOf('/', at);
      end = end < 0 ? requestPath.length() : end;
      if (end == at) {
        return null;
      }
      if (parameters.isEmpty()) {
        parameters = new HashMap<>(4);
      }
      parameters.put(part, requestPath.substring(at, end));
      at = end;
    }
    boolean whole =
        at == requestPath.length()
            || (at == requestPath.length() - 1 && requestPath.charAt(at) == '/');
    return whole ? parameters : null;
  }
}
