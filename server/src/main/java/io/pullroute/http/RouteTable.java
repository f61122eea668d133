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
  private final List<Route> documented = new ArrayList<>();

  RouteTable(RoutesConfig routes) {
    this.routes = routes;
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

  private RouteTable register(Route route, Handler handler) {
    documented.add(route);
    routes.addHttpHandler(route.method(), route.path(), handler);
    return this;
  }

  List<Route> documented() {
    return List.copyOf(documented);
  }
}
