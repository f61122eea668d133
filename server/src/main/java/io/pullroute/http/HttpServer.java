package io.pullroute.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pullroute.auth.AuthService;
import io.pullroute.auth.Principal;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.PayloadTooLarge;
import io.pullroute.common.PullrouteException.Unauthenticated;
import io.pullroute.common.RateLimiter;
import io.pullroute.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * The HTTP edge: Javalin on Jetty with virtual threads, the request pipeline (correlation id, size
 * limit, authentication, API key, rate limit, timing) and the routes every feature adds.
 */
public final class HttpServer implements AutoCloseable {
  private static final String VIA_PREFIX = "/via/v";
  private static final String VIA_ORGANIZATIONS = "/organizations/";

  /** Where the organization's id starts in a {@code /via/v2/organizations/…} path. */
  private static final int VIA_ORG_AT = VIA_PREFIX.length() + 1 + VIA_ORGANIZATIONS.length();

  private static final String STARTED_NANOS = "pullroute.startedNanos";

  /**
   * Connections accepted by the kernel and not yet by Jetty. The JDK's default is 50; 1,000
   * subscribers reconnecting at once need more (Linux caps it at net.core.somaxconn).
   */
  static final int ACCEPT_QUEUE = 8192;

  /**
   * Requests one HTTP/2 connection may carry at once (Jetty's default is 128): a gateway or a load
   * generator parks that many long polls on one connection; a client that needs more opens another.
   */
  public static final int H2C_STREAMS = 256;

  private final Javalin javalin;
  private final List<RouteTable.Route> documented;
  private final List<String> registered;

  private HttpServer(Javalin javalin, List<RouteTable.Route> documented, List<String> registered) {
    this.javalin = javalin;
    this.documented = documented;
    this.registered = registered;
  }

  /** Starts the server with the routes {@code features} add. */
  public static HttpServer start(
      Config config,
      InstantSource clock,
      AuthService auth,
      PrometheusMeterRegistry metrics,
      List<Consumer<RouteTable>> features,
      List<Consumer<Server>> mounts) {
    RateLimiter limiter = new RateLimiter(config.rateLimitPerSecond(), clock);
    List<RouteTable.Route> documented = new ArrayList<>();
    List<String> registered = Collections.synchronizedList(new ArrayList<>());
    RouteMethods methodsOf =
        new RouteMethods(
            () -> {
              synchronized (registered) {
                return List.copyOf(registered);
              }
            });
    Set<String> openRoutes = new HashSet<>();
    List<FastRoute> fastRoutes = new ArrayList<>();
    // One timer per method, route and status: looked up, not rebuilt, on every request.
    Map<TimerKey, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

    Javalin javalin =
        Javalin.create(
            javalinConfig -> {
              javalinConfig.startup.showJavalinBanner = false;
              javalinConfig.startup.showOldJavalinVersionWarning = false;
              javalinConfig.concurrency.useVirtualThreads = true;
              // Jetty's own pool of virtual threads, not Javalin's, which makes each request's
              // thread through reflection and wraps its task in a Future: with Jetty's the server
              // allocated ~4.5 % less per delivered event in the fan-out benchmark
              // (bench/REPORT.md, session 27). 0: no bound on the tasks running at once.
              javalinConfig.jetty.threadPool = new VirtualThreadPool(0);
              javalinConfig.http.maxRequestSize = Config.MAX_BODY_BYTES;
              javalinConfig.http.asyncTimeout = 0;
              // Small JSON answers: neither compression nor ETags pay for their cost per request.
              javalinConfig.http.generateEtags = false;
              javalinConfig.http.compressionStrategy =
                  io.javalin.compression.CompressionStrategy.NONE;
              javalinConfig.jsonMapper(new JavalinJackson(Json.MAPPER, true));
              // The connector is made here, not left to Javalin: what it needs must be set
              // before it starts listening. (Raised after start, the accept queue stayed at the
              // JDK's 50 connections: 1,000 clients connecting at once had attempts dropped and
              // retried by their kernel a second later.)
              javalinConfig.jetty.addConnector((server, http) -> connector(server, http, config));
              javalinConfig.jetty.modifyServer(
                  server -> {
                    server.setStopTimeout(2_000);
                    server.setErrorHandler(new JsonErrors());
                    mounts.forEach(mount -> mount.accept(server));
                    // In front of everything (Javalin attaches its context inside this wrapper).
                    FastPath fast =
                        new FastPath(
                            fastRoutes,
                            auth,
                            limiter,
                            (method, route, status, nanos) ->
                                record(metrics, timers, method, route, status, nanos));
                    fast.setHandler(server.getHandler());
                    server.setHandler(fast);
                  });
              javalinConfig.events.handlerAdded(
                  info -> {
                    String method = info.getHttpMethod().name();
                    if (!method.startsWith("BEFORE") && !method.startsWith("AFTER")) {
                      registered.add(method + " " + info.getPath());
                    }
                  });

              var routes = javalinConfig.routes;
              ErrorMapper.register(routes, methodsOf);
              routes.before(HttpServer::begin);
              routes.beforeMatched(
                  ctx -> {
                    Endpoint endpoint = matched(ctx);
                    if (endpoint == null
                        || openRoutes.contains(endpoint.method.name() + " " + endpoint.path)) {
                      return;
                    }
                    Principal principal = auth.authenticate(ctx.header("Authorization"));
                    checkViaPath(ctx, principal, auth);
                    ctx.attribute(Requests.PRINCIPAL, principal);
                    limiter.acquire(principal.key());
                  });
              routes.after(
                  ctx -> {
                    dropUnreadBody(ctx);
                    record(ctx, metrics, timers);
                  });

              RouteTable table = new RouteTable(routes, fastRoutes);
              table.open(
                  HandlerType.GET,
                  "/health",
                  "operations",
                  "Health: 200 {\"status\":\"UP\"} once ready",
                  ctx -> ctx.json(Map.of("status", "UP")));
              table.open(
                  HandlerType.GET,
                  "/metrics",
                  "operations",
                  "Prometheus metrics",
                  ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
              table.open(
                  HandlerType.GET,
                  "/openapi.json",
                  "operations",
                  "This OpenAPI document",
                  ctx -> ctx.json(OpenApi.document(documented)));
              for (Consumer<RouteTable> feature : features) {
                feature.accept(table);
              }
              documented.addAll(table.documented());
              for (FastRoute route : fastRoutes) {
                registered.add(route.method() + " " + route.path());
              }
              for (RouteTable.Route route : documented) {
                if (!route.authenticated()) {
                  openRoutes.add(route.method().name() + " " + route.path());
                }
              }
            });
    javalin.start();
    return new HttpServer(javalin, List.copyOf(documented), registered);
  }

  /** The one HTTP/1.1 connector, on the configured host and port. */
  private static ServerConnector connector(Server server, HttpConfiguration http, Config config) {
    // Jetty caches the header lines seen on a connection and matches each new line against them
    // byte by byte; with bearer tokens of several hundred bytes that lookup was a third of the
    // long poll's CPU. The headers are parsed plainly instead.
    http.setHeaderCacheSize(0);
    // HTTP/1.1, and HTTP/2 in clear text (h2c: by prior knowledge, or by an Upgrade from
    // HTTP/1.1): many long polls share one connection instead of holding one each.
    HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(http);
    h2c.setMaxConcurrentStreams(H2C_STREAMS);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http), h2c);
    connector.setHost(config.host());
    connector.setPort(config.port());
    // Connections not yet accepted wait here; the kernel caps it (net.core.somaxconn).
    connector.setAcceptQueueSize(ACCEPT_QUEUE);
    // A parked long poll is not idle: the connection (or its HTTP/2 stream) outlives the longest
    // poll wait.
    connector.setIdleTimeout(
        Math.max(connector.getIdleTimeout(), config.pollWait().toMillis() + 30_000));
    h2c.setStreamIdleTimeout(connector.getIdleTimeout());
    return connector;
  }

  private static void begin(Context ctx) {
    ctx.attribute(STARTED_NANOS, System.nanoTime());
    String correlationId = correlationId(ctx.header("X-Correlation-Id"));
    ctx.attribute(Requests.CORRELATION_ID, correlationId);
    ctx.header("X-Correlation-Id", correlationId);
    // Javalin's query parser drops a parameter it cannot decode: a 400 rather than "required".
    UrlEncoding.requireValidQuery(ctx.queryString());
    if (ctx.method() == HandlerType.HEAD) {
      // No route is served with HEAD: answered as any method a path is not served with (405, or
      // 404 for an unknown path). Javalin answered HEAD on a GET route 200, without running the
      // route or checking the caller's token; and a long poll must not run without its body.
      throw new io.javalin.http.NotFoundResponse();
    }
    if (ctx.contentLength() > Config.MAX_BODY_BYTES) {
      throw new PayloadTooLarge(Config.MAX_BODY_BYTES);
    }
  }

  /**
   * Reads and drops what is left of the request's body (at most {@link FastPath#DRAIN_BYTES})
   * before the answer leaves: an answer given before the body arrived (a 413 on the declared
   * length, a refusal) then leaves a connection with nothing unread, and the client still sending
   * reads it. Closed with the body unread, the connection was reset by the kernel, which could take
   * the answer with it: 21 of 300 oversized POSTs of the JDK's HTTP client read no answer at all.
   * (Read here, on the framework's routes: once they end, their body is no longer readable.)
   */
  private static void dropUnreadBody(Context ctx) {
    if (waitsToSend(ctx.header("Expect"))) {
      return;
    }
    try {
      InputStream body = ctx.req().getInputStream();
      if (body.read() < 0) {
        return; // read to its end, or none: the common case costs no buffer
      }
      byte[] buffer = new byte[8192];
      for (long left = FastPath.DRAIN_BYTES; left > 0; ) {
        int read = body.read(buffer);
        if (read < 0) {
          return;
        }
        left -= read;
      }
    } catch (IOException | IllegalStateException unreadable) {
      // The client went, or the body was read as a form: nothing is left to drop.
    }
  }

  /**
   * Whether a client with this {@code Expect} header sends its body only when told to: reading it
   * would ask for a body the answer already refused.
   */
  static boolean waitsToSend(String expect) {
    return expect != null && expect.equalsIgnoreCase("100-continue");
  }

  /** The caller's correlation id when it is usable, else a new one. */
  static String correlationId(String given) {
    return usableCorrelationId(given) ? given : Ids.newId();
  }

  /** Whether {@code given} may serve as a correlation id: 1-200 characters, not all blank. */
  public static boolean usableCorrelationId(String given) {
    return given != null && !given.isBlank() && given.length() <= 200;
  }

  private static void checkViaPath(Context ctx, Principal principal, AuthService auth) {
    checkViaPath(ctx.path(), ctx.header("x-api-key"), principal, auth);
  }

  /** {@code /via/…/organizations/{orgId}/…} needs the organization's API key and token. */
  static void checkViaPath(String path, String apiKey, Principal principal, AuthService auth) {
    String orgId = viaOrganization(path);
    if (orgId == null) {
      return;
    }
    if (!orgId.equals(principal.orgId())) {
      throw new Forbidden("the token does not belong to organization " + orgId);
    }
    if (!auth.apiKeyMatches(orgId, apiKey)) {
      throw new Unauthenticated("x-api-key header is missing or not the organization's API key");
    }
  }

  /**
   * The organization a {@code /via/v2/organizations/{orgId}…} or {@code /via/v3/…} path names, or
   * null for any other path. Read without a regular expression: every poll asks.
   */
  static String viaOrganization(String path) {
    if (!path.startsWith(VIA_PREFIX)
        || path.length() <= VIA_ORG_AT
        || (path.charAt(VIA_PREFIX.length()) != '2' && path.charAt(VIA_PREFIX.length()) != '3')
        || !path.startsWith(VIA_ORGANIZATIONS, VIA_PREFIX.length() + 1)) {
      return null;
    }
    int end = path.indexOf('/', VIA_ORG_AT);
    end = end < 0 ? path.length() : end;
    return end == VIA_ORG_AT ? null : path.substring(VIA_ORG_AT, end);
  }

  /** A timer's tags. */
  private record TimerKey(String method, String route, int status) {}

  private static void record(
      Context ctx, PrometheusMeterRegistry metrics, Map<TimerKey, Timer> timers) {
    Long started = ctx.attribute(STARTED_NANOS);
    if (started == null) {
      return;
    }
    Endpoint endpoint = matched(ctx);
    record(
        metrics,
        timers,
        ctx.method().name(),
        endpoint == null ? "unmatched" : endpoint.path,
        ctx.statusCode(),
        System.nanoTime() - started);
  }

  private static void record(
      PrometheusMeterRegistry metrics,
      Map<TimerKey, Timer> timers,
      String method,
      String route,
      int status,
      long nanos) {
    timers
        .computeIfAbsent(
            new TimerKey(method, route, status),
            key ->
                Timer.builder("http.server.requests")
                    .description("HTTP requests by route, method and status")
                    .tag("method", method)
                    .tag("route", route)
                    .tag("status", Integer.toString(status))
                    .register(metrics))
        .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** The route a request matched, or null (unknown path). */
  private static Endpoint matched(Context ctx) {
    try {
      return ctx.endpoints().matchedHttpEndpoint();
    } catch (RuntimeException e) {
      return null;
    }
  }

  public int port() {
    return javalin.port();
  }

  /** What the server documents in {@code /openapi.json}. */
  public List<RouteTable.Route> documentedRoutes() {
    return documented;
  }

  /** Every route served (by Javalin or the fast path), as {@code METHOD path}. */
  public List<String> registeredRoutes() {
    synchronized (registered) {
      return List.copyOf(registered);
    }
  }

  @Override
  public void close() {
    javalin.stop();
  }
}
