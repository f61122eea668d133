package io.pullroute.bench;

import org.cometd.server.BayeuxServerImpl;
import org.cometd.server.http.jakarta.CometDServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The comparison: a plain CometD 8 server (long-polling) on Jetty 12, in a JVM of its own, whose
 * clients publish to and subscribe to {@code /topic/N}. No security policy: the same broadcast
 * shape as pullroute's fanout, without authentication.
 */
public final class CometDServerMain {
  public static void main(String[] args) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setAcceptQueueSize(8192);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder cometd = new ServletHolder(CometDServlet.class);
    cometd.setAsyncSupported(true);
    cometd.setInitOrder(1);
    cometd.setInitParameter("transports", "org.cometd.server.http.JSONHttpTransport");
    cometd.setInitParameter("timeout", "15000");
    context.addServlet(cometd, "/cometd/*");
    server.setHandler(context);
    server.start();
    BayeuxServerImpl bayeux =
        (BayeuxServerImpl)
            context
                .getServletContext()
                .getAttribute(org.cometd.bayeux.server.BayeuxServer.ATTRIBUTE);
    if (bayeux == null) {
      throw new IllegalStateException("CometD did not start");
    }
    System.out.println("cometd ready on http://127.0.0.1:" + connector.getLocalPort() + "/cometd");
    server.join();
  }
}
