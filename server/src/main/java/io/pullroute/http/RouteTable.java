package io.pullroute.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers routes with Javalin and remembers what each one is, so {@code /openapi.json} describes
 * every route. Features add their routes through this class only. Not thread-safe; used while the
 * server is configured.
 */
public final class RouteTable {
  /** One documented route. */
  public record Route(
      HandlerType method, String path, String tag, String summary, boolean authenticated) {}

  private final RoutesConfig routes;
  private final List<FastRoute> fast;
  private final List<Route> documented = new ArrayList<>();

  RouteTable(RoutesConfig routes, List<FastRoute> fast) {
    this.routes = routes;
    this.fast = fast;
  }

  /** An authenticated route. */
  public RouteTable add(
      HandlerType method, String path, String tag, String summary, Handler handler) {
    return register(new Route(method, path, tag, summary, true), handler);
  }

  /** A route that needs no token (health, token endpoint …). */
  public RouteTable open(
      HandlerType method, String path, String tag, String summary, Handler handler) {
    return register(new Route(method, path, tag, summary, false), handler);
  }

  /**
   * An authenticated route served on Jetty's handler in front of Javalin ({@link FastRoute}):
   * documented like the others, not registered with Javalin.
   */
  public RouteTable fast(
      HandlerType method, String path, String tag, String summary, FastRoute.Handler handler) {
    documented.add(new Route(method, path, tag, summary, true));
    fast.add(FastRoute.of(method.name(), path, handler));
    return this;
  }

  private RouteTable register(Route route, Handler handler) {
    documented.add(route);
    routes.addHttpHandler(route.method(), route.path(), handler);
    return this;
  }

  List<Route> documented() {
    return List.copyOf(documented);
  }
}
