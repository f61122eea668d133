package io.pullroute.workbins;

import io.pullroute.auth.AuthService;
import io.pullroute.auth.Principal;
import io.pullroute.auth.TokenService;
import io.pullroute.common.PullrouteException;
import io.pullroute.common.Workers;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.cometd.bayeux.Channel;
import org.cometd.bayeux.Message;
import org.cometd.bayeux.Promise;
import org.cometd.bayeux.server.BayeuxServer;
import org.cometd.bayeux.server.SecurityPolicy;
import org.cometd.bayeux.server.ServerChannel;
import org.cometd.bayeux.server.ServerMessage;
import org.cometd.bayeux.server.ServerSession;
import org.cometd.server.BayeuxServerImpl;
import org.cometd.server.http.JSONHttpTransport;
import org.cometd.server.http.jakarta.CometDServlet;
import org.cometd.server.websocket.jetty.JettyWebSocketTransport;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Genesys-compatible CometD endpoint: a CometD 8 server at {@code /api/v2/notifications} in the
 * same Jetty, with WebSocket and long-polling transports. A client hands its bearer token in the
 * handshake ({@code Authorization} header, or {@code ext.authorization}) and subscribes to {@link
 * #CHANNEL}; each message is delivered to the sessions of the users it concerns only, never
 * broadcast. Thread-safe.
 */
public final class CometDNotifications implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CometDNotifications.class);
  public static final String CHANNEL = "/v2/me/workbins";
  public static final String PATH = "/api/v2/notifications";
  // The session's token, as checked at its handshake (a TokenService.Verified).
  private static final String TOKEN = "pullroute.token";

  /**
   * How often each session's user is checked again, as a token is at every call of the API: a
   * session of a user deleted, or whose roles or password changed, since its handshake ends.
   */
  static final Duration USER_CHECKS = Duration.ofSeconds(5);

  // How long a client of a stopping server waits before it handshakes again.
  private static final long HANDSHAKE_AGAIN_AFTER_MS = 500;

  private final BayeuxServerImpl bayeux = new BayeuxServerImpl();
  private final AuthService auth;
  private final Map<String, Set<ServerSession>> sessionsByUser = new ConcurrentHashMap<>();
  // Sessions whose /meta/connect the server holds now (long polling: an HTTP request held open).
  private final Set<ServerSession> held = ConcurrentHashMap.newKeySet();
  private final ServerSession.HeartBeatListener holding =
      new ServerSession.HeartBeatListener() {
        @Override
        public void onSuspended(ServerSession session, ServerMessage message, long timeout) {
          held.add(session);
        }

        @Override
        public void onResumed(ServerSession session, ServerMessage message, boolean timeout) {
          held.remove(session);
        }
      };
  private volatile boolean stopping;
  private final ScheduledThreadPoolExecutor checks =
      Workers.scheduler("pullroute-cometd-user-checks");

  public CometDNotifications(AuthService auth) {
    this.auth = auth;
    long every = USER_CHECKS.toMillis();
    checks.scheduleWithFixedDelay(this::checkUsers, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Checks the user of every session again (see {@link AuthService#checkUser}) and ends the
   * sessions of those that no longer stand: the client is told it is disconnected, and a handshake
   * with the same token is refused.
   */
  void checkUsers() {
    for (Set<ServerSession> sessions : sessionsByUser.values()) {
      for (ServerSession session : sessions) {
        if (!(session.getAttribute(TOKEN) instanceof TokenService.Verified token)) {
          continue;
        }
        try {
          auth.checkUser(token.principal(), token.passwordTag());
        } catch (PullrouteException refused) {
          LOG.info(
              "CometD session of user {} ended: {}",
              token.principal().subject(),
              refused.getMessage());
          session.disconnect();
        } catch (RuntimeException failed) {
          LOG.warn("checking the user of a CometD session failed", failed);
        }
      }
    }
  }

  /**
   * Mounts CometD in a context of its own at {@link #PATH}, beside the API's context: each context
   * has its own WebSocket container (CometD's is Jetty's core one, the API's the servlet one). Call
   * while Jetty is configured, before it starts.
   */
  public void install(Server server) {
    ServletContextHandler context = new ServletContextHandler(PATH);
    // Messages sent to the endpoint URL itself (without a trailing /handshake …) are CometD's too.
    context.setAllowNullPathInContext(true);
    context.setErrorHandler(new io.pullroute.http.JsonErrors());
    // Upgrades to WebSocket happen in this handler, before the servlet would see the request.
    context.insertHandler(WebSocketUpgradeHandler.from(server, context));
    // CometD's transport fails on a charset it cannot decode, and the request then hangs.
    context.insertHandler(new io.pullroute.http.KnownCharset());
    bayeux.setOption("cometdURLMapping", "/*");
    bayeux.setOption("org.eclipse.jetty.server.Context", context.getContext());
    bayeux.setOption(jakarta.servlet.ServletContext.class.getName(), context.getServletContext());
    bayeux.setTransports(new JettyWebSocketTransport(bayeux), new JSONHttpTransport(bayeux));
    bayeux.setSecurityPolicy(new TokenPolicy());
    bayeux.addExtension(
        new BayeuxServer.Extension() {
          // While stopping, a client is told to handshake again, not to give up: CometD's own
          // replies would end it for good (its /meta/disconnect, a successful /meta/connect after
          // it, or a refused handshake's reconnect "none" leave a client disconnected).
          @Override
          public boolean sendMeta(ServerSession to, ServerMessage.Mutable message) {
            if (!stopping) {
              return true;
            }
            String channel = message.getChannel();
            if (Channel.META_DISCONNECT.equals(channel) && message.getId() == null) {
              return false; // sent by endSessions(), not a reply to the client's own disconnect
            }
            if (Channel.META_CONNECT.equals(channel)) {
              message.setSuccessful(false);
              message.put(Message.ERROR_FIELD, "402::session_unknown");
              handshakeAgain(message);
            } else if (Channel.META_HANDSHAKE.equals(channel) && !message.isSuccessful()) {
              handshakeAgain(message);
            }
            return true;
          }

          private void handshakeAgain(ServerMessage.Mutable message) {
            Map<String, Object> advice = message.getAdvice(true);
            advice.put(Message.RECONNECT_FIELD, Message.RECONNECT_HANDSHAKE_VALUE);
            advice.put(Message.INTERVAL_FIELD, HANDSHAKE_AGAIN_AFTER_MS);
          }
        });
    bayeux.addListener(
        new BayeuxServer.SessionListener() {
          @Override
          public void sessionRemoved(
              ServerSession session, ServerMessage message, boolean timeout) {
            held.remove(session);
            if (session.getAttribute(TOKEN) instanceof TokenService.Verified token) {
              // A user without sessions leaves the map: anyoneConnected() is its emptiness.
              sessionsByUser.computeIfPresent(
                  token.principal().subject(),
                  (user, sessions) -> {
                    sessions.remove(session);
                    return sessions.isEmpty() ? null : sessions;
                  });
            }
          }
        });
    context.setAttribute(BayeuxServer.ATTRIBUTE, bayeux);
    ServletHolder holder = new ServletHolder("cometd", Servlet.class);
    holder.setAsyncSupported(true);
    holder.setInitOrder(1);
    context.addServlet(holder, "/*");
    context.addEventListener(
        new org.eclipse.jetty.util.component.LifeCycle.Listener() {
          @Override
          public void lifeCycleStarted(org.eclipse.jetty.util.component.LifeCycle event) {
            // After the context started: its WebSocket container exists only then.
            try {
              bayeux.start();
            } catch (Exception e) {
              throw new IllegalStateException("CometD did not start", e);
            }
          }
        });
    ContextHandlerCollection contexts = new ContextHandlerCollection();
    contexts.addHandler(context);
    // The API's context joins this collection when the HTTP server attaches it.
    server.setHandler(contexts);
  }

  /** Whether any CometD session of a user is connected to this node. */
  public boolean anyoneConnected() {
    return !sessionsByUser.isEmpty();
  }

  /** How many clients' {@code /meta/connect} this node holds open now. */
  public int heldConnects() {
    return held.size();
  }

  /** Delivers {@code data} on {@link #CHANNEL} to the subscribed sessions of {@code userId}. */
  public void deliver(String userId, Map<String, Object> data) {
    for (ServerSession session : sessionsByUser.getOrDefault(userId, Set.of())) {
      boolean subscribed =
          session.getSubscriptions().stream().map(ServerChannel::getId).anyMatch(CHANNEL::equals);
      if (subscribed) {
        session.deliver(null, CHANNEL, data, Promise.noop());
      }
    }
  }

  /**
   * CometD's servlet, but for messages that are not Bayeux messages (the body {@code null}, {@code
   * [1,2]}, a channel that is a number …): CometD fails reading them ("protocol violation", a cast)
   * and answered 500; they are the client's, a 400.
   */
  public static final class Servlet extends CometDServlet {
    @Override
    protected void sendError(
        jakarta.servlet.http.HttpServletRequest request,
        jakarta.servlet.http.HttpServletResponse response,
        int code,
        Throwable failure) {
      boolean malformed =
          code == 500
              && (failure instanceof java.io.IOException io
                      && "protocol violation".equals(io.getMessage())
                  || failure instanceof java.text.ParseException
                  || failure instanceof ClassCastException
                  || failure instanceof NullPointerException
                  || failure instanceof IllegalArgumentException);
      if (malformed) {
        LOG.debug("CometD message refused as malformed", failure);
      }
      super.sendError(request, response, malformed ? 400 : code, failure);
    }
  }

  /** Handshakes need a valid token; clients may subscribe to the workbin channel, not publish. */
  private final class TokenPolicy implements SecurityPolicy {
    @Override
    public boolean canHandshake(BayeuxServer server, ServerSession session, ServerMessage message) {
      if (session.isLocalSession()) {
        return true;
      }
      if (stopping) {
        return false;
      }
      String authorization = message.getBayeuxContext().getHeader("Authorization");
      // Not getExt(): it casts, and a client's "ext" may be anything ("x", a list …).
      if (authorization == null
          && message.get(Message.EXT_FIELD) instanceof Map<?, ?> ext
          && ext.get("authorization") instanceof String given) {
        authorization = given;
      }
      try {
        TokenService.Verified token = auth.authenticated(authorization);
        Principal principal = token.principal();
        if (!principal.isUser()) {
          return false;
        }
        session.setAttribute(TOKEN, token);
        session.addListener(holding);
        sessionsByUser.compute(
            principal.subject(),
            (user, sessions) -> {
              Set<ServerSession> of = sessions == null ? ConcurrentHashMap.newKeySet() : sessions;
              of.add(session);
              return of;
            });
        return true;
      } catch (PullrouteException refused) {
        LOG.debug("CometD handshake refused: {}", refused.getMessage());
        return false;
      } catch (RuntimeException failed) {
        LOG.warn("CometD handshake refused: checking its token failed", failed);
        return false;
      }
    }

    @Override
    public boolean canCreate(
        BayeuxServer server, ServerSession session, String channelId, ServerMessage message) {
      return session != null && (session.isLocalSession() || CHANNEL.equals(channelId));
    }

    @Override
    public boolean canSubscribe(
        BayeuxServer server, ServerSession session, ServerChannel channel, ServerMessage message) {
      return session != null
          && (session.isLocalSession() || session.getAttribute(TOKEN) != null)
          && CHANNEL.equals(channel.getId());
    }

    @Override
    public boolean canPublish(
        BayeuxServer server, ServerSession session, ServerChannel channel, ServerMessage message) {
      return session != null && session.isLocalSession();
    }
  }

  /**
   * Ends every client's session; call before HTTP stops. A long-polling client's held {@code
   * /meta/connect} is answered at once (before, HTTP's graceful stop waited 2 s for it, then failed
   * and the client saw an HTTP 500) as for an unknown session, with the advice to handshake again,
   * so the client comes back when this or another node serves; handshakes are refused from now on,
   * with the same advice.
   */
  public void endSessions() {
    stopping = true;
    for (ServerSession session : bayeux.getSessions()) {
      if (!session.isLocalSession()) {
        session.disconnect();
      }
    }
  }

  @Override
  public void close() {
    Workers.stop(checks, Workers.STOP_WAIT);
    endSessions();
    try {
      bayeux.stop();
    } catch (Exception e) {
      LOG.warn("stopping CometD failed", e);
    }
  }
}
