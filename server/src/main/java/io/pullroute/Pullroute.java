package io.pullroute;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pullroute.admin.AdminRoutes;
import io.pullroute.admin.AdminService;
import io.pullroute.admin.CachedAdminRepository;
import io.pullroute.admin.Demo;
import io.pullroute.admin.JdbiAdminRepository;
import io.pullroute.admin.OrganizationService;
import io.pullroute.auth.AuthService;
import io.pullroute.auth.JdbiCredentialRepository;
import io.pullroute.auth.PasswordHasher;
import io.pullroute.auth.Principal;
import io.pullroute.auth.Scopes;
import io.pullroute.auth.TokenRoutes;
import io.pullroute.auth.TokenService;
import io.pullroute.config.Config;
import io.pullroute.events.AudienceChanges;
import io.pullroute.events.EventCatalog;
import io.pullroute.events.EventHub;
import io.pullroute.events.EventPublisher;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.events.Joined;
import io.pullroute.events.PublishRoutes;
import io.pullroute.http.HttpServer;
import io.pullroute.routing.JdbiRoutingRepository;
import io.pullroute.routing.RoutingRoutes;
import io.pullroute.routing.RoutingService;
import io.pullroute.routing.RoutingTimers;
import io.pullroute.store.Database;
import io.pullroute.store.Dialect;
import io.pullroute.streaming.JdbiStreamingRepository;
import io.pullroute.streaming.StreamingRoutes;
import io.pullroute.streaming.StreamingService;
import io.pullroute.workbins.CometDNotifications;
import io.pullroute.workbins.WorkbinBridge;
import io.pullroute.workbins.WorkbinRoutes;
import io.pullroute.workbins.WorkbinService;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;

/**
 * A running pullroute server: explicit wiring of store, services and HTTP, no DI framework. Tests
 * start it in-process; {@link Main} starts it from the command line.
 */
public final class Pullroute implements AutoCloseable {
  /** The operator client whose secret {@code --operator-secret} sets. */
  public static final String OPERATOR_CLIENT = "operator";

  private static final int HUB_CAPACITY = 16_384;

  private final Database database;
  private final EventHub hub;
  private final RoutingTimers timers;
  private final StreamingService streaming;
  private final CometDNotifications notifications;
  private final WorkbinBridge bridge;
  private final HttpServer http;

  private Pullroute(
      Database database,
      EventHub hub,
      RoutingTimers timers,
      StreamingService streaming,
      CometDNotifications notifications,
      WorkbinBridge bridge,
      HttpServer http) {
    this.database = database;
    this.hub = hub;
    this.timers = timers;
    this.streaming = streaming;
    this.notifications = notifications;
    this.bridge = bridge;
    this.http = http;
  }

  public static Pullroute start(Config config, InstantSource clock) {
    return start(config, clock, Database.open(config));
  }

  /** Starts on an already opened store (tests pass a PostgreSQL schema of their own). */
  public static Pullroute start(Config config, InstantSource clock, Database database) {
    EventHub hub = null;
    RoutingTimers timers = null;
    StreamingService streaming = null;
    CometDNotifications notifications = null;
    WorkbinBridge bridge = null;
    try {
      PasswordHasher hasher = new PasswordHasher();
      JdbiCredentialRepository credentials = new JdbiCredentialRepository(database.jdbi(), clock);
      TokenService tokens = new TokenService(credentials.signingKey(), clock);
      AuthService auth = new AuthService(credentials, tokens, hasher);
      hub = new EventHub(new JdbiEventLog(database.jdbi()), HUB_CAPACITY);
      AdminService admin =
          new AdminService(
              new CachedAdminRepository(
                  new JdbiAdminRepository(database.jdbi(), database.dialect())),
              hasher,
              clock);
      OrganizationService organizations = new OrganizationService(admin.repository(), auth, clock);
      auth.checkUsersAgainst(admin.repository()::findCredentials);

      if (config.operatorSecret() != null) {
        auth.ensureClient(OPERATOR_CLIENT, null, config.operatorSecret(), Set.of(Scopes.OPERATOR));
      }
      if (config.demo()) {
        new Demo(admin, organizations, auth, clock).bootstrap();
      }

      RoutingService routing =
          new RoutingService(
              new JdbiRoutingRepository(database.jdbi(), clock, database.dialect()),
              admin.repository(),
              database.dialect().routingCommitters());
      timers = new RoutingTimers(routing, clock).start();
      EventCatalog catalog = EventCatalog.load();
      streaming =
          new StreamingService(
                  new JdbiStreamingRepository(database.jdbi()),
                  directory(routing),
                  hub,
                  catalog::knows,
                  clock,
                  config.pollWait(),
                  config.streaming(),
                  database.dialect() == Dialect.POSTGRES
                      ? StreamingService.SHARED_STORE_RECHECK
                      : Duration.ZERO)
              .start();
      routing.onAudienceChange(
          AudienceChanges.of(streaming::audienceMark, streaming::audienceChanged));
      EventPublisher publisher = new EventPublisher(database.jdbi(), catalog, clock);
      notifications = new CometDNotifications(auth);
      bridge = new WorkbinBridge(notifications, routing);
      hub.addListener(bridge);
      StreamingService heard = streaming;
      WorkbinBridge bridged = bridge;
      admin.onWorkbinsChange(
          AudienceChanges.of(
              heard::audienceMark,
              (orgId, mark) -> {
                heard.audienceChangedIn(orgId, mark);
                // The change may have ended subscriptions (without an event): read them again.
                bridged.subscriptionsChanged();
              }));
      admin.onAccessChange(
          AudienceChanges.of(
              heard::audienceMark,
              (userId, mark) -> {
                heard.audienceChanged(userId, mark);
                bridged.subscriptionsMayHaveEnded(userId);
              }));
      WorkbinService workbins = new WorkbinService(routing, admin.repository());

      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      new JvmMemoryMetrics().bindTo(metrics);
      new JvmThreadMetrics().bindTo(metrics);
      EventHub gauged = hub;
      StreamingService streamingGauged = streaming;
      Gauge.builder("pullroute.polls.waiting", () -> gauged.waiting())
          .description("Long polls and other consumers waiting on the event hub")
          .register(metrics);
      Gauge.builder("pullroute.sessions.live", () -> streamingGauged.liveSessions())
          .description("Streaming sessions held by this node")
          .register(metrics);
      CometDNotifications notificationsGauged = notifications;
      Gauge.builder("pullroute.cometd.connects.held", () -> notificationsGauged.heldConnects())
          .description("CometD clients whose /meta/connect this node holds open")
          .register(metrics);

      HttpServer http =
          HttpServer.start(
              config,
              clock,
              auth,
              metrics,
              List.of(
                  new TokenRoutes(auth)::register,
                  new AdminRoutes(admin, organizations, clock)::register,
                  new RoutingRoutes(routing)::register,
                  new StreamingRoutes(streaming)::register,
                  new PublishRoutes(publisher)::register,
                  new WorkbinRoutes(workbins)::register),
              List.of(notifications::install));
      return new Pullroute(database, hub, timers, streaming, notifications, bridge, http);
    } catch (RuntimeException e) {
      if (bridge != null) {
        bridge.close();
      }
      if (notifications != null) {
        notifications.close();
      }
      if (streaming != null) {
        streaming.close();
      }
      if (timers != null) {
        timers.close();
      }
      if (hub != null) {
        hub.close();
      }
      database.close();
      throw e;
    }
  }

  private static StreamingService.Directory directory(RoutingService routing) {
    return new StreamingService.Directory() {
      @Override
      public Joined joined(String userId) {
        return routing.joined(userId);
      }

      @Override
      public boolean mayWorkOn(Principal principal, String listId) {
        return routing.mayWorkOn(principal, listId);
      }

      @Override
      public boolean isParticipant(Principal principal, String conversationId) {
        return routing.isParticipant(principal, conversationId);
      }
    };
  }

  public int port() {
    return http.port();
  }

  public HttpServer http() {
    return http;
  }

  public Database database() {
    return database;
  }

  public EventHub hub() {
    return hub;
  }

  public RoutingTimers timers() {
    return timers;
  }

  public StreamingService streaming() {
    return streaming;
  }

  public CometDNotifications notifications() {
    return notifications;
  }

  /**
   * Stops in an order that lets every request end normally: the hub first answers each parked poll
   * with no events, so HTTP's graceful stop finds no request waiting for an event (before, it
   * waited its 2 s for them, then failed and cut their connections). A step that fails does not
   * skip the ones after it: the cursors are still written and the store closed; the first failure
   * is thrown at the end.
   */
  @Override
  public void close() {
    RuntimeException failure = null;
    List<Runnable> steps =
        List.of(
            hub::close,
            notifications::endSessions,
            http::close,
            bridge::close,
            notifications::close,
            streaming::close,
            timers::close,
            database::close);
    for (Runnable step : steps) {
      try {
        step.run();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
