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
 */
public record FastRoute(
    String method, String path, Handler handler, Pattern pattern, List<String> names) {

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

  static FastRoute of(String method, String path, Handler handler) {
    List<String> names = new ArrayList<>();
    Matcher parameter = Pattern.compile("\\{([^/}]+)}").matcher(path);
    StringBuilder regex = new StringBuilder("^");
    int last = 0;
    while (parameter.find()) {
      regex.append(Pattern.quote(path.substring(last, parameter.start()))).append("([^/]+)");
      names.add(parameter.group(1));
      last = parameter.end();
    }
    regex.append(Pattern.quote(path.substring(last))).append("/?$");
    return new FastRoute(
        method, path, handler, Pattern.compile(regex.toString()), List.copyOf(names));
  }

  /** The path parameters of {@code requestPath}, or null when this route does not match it. */
  Map<String, String> match(String requestMethod, String requestPath) {
    if (!method.equals(requestMethod)) {
      return null;
    }
    Matcher matcher = pattern.matcher(requestPath);
    if (!matcher.matches()) {
      return null;
    }
    Map<String, String> parameters = new HashMap<>(names.size() * 2);
    for (int i = 0; i < names.size(); i++) {
      parameters.put(names.get(i), matcher.group(i + 1));
    }
    return parameters;
  }
}
