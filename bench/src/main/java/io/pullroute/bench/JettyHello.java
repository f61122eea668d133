package io.pullroute.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/** The baseline: a raw Jetty 12 handler answering a fixed JSON body, in a JVM of its own. */
public final class JettyHello {
  /** Its connector's idle timeout (Jetty's default), and a client's, which must be shorter. */
  static final Duration IDLE = Duration.ofSeconds(30);

  static final Duration CLIENT_IDLE = IDLE.minusSeconds(10);

  private static final ByteBuffer BODY =
      ByteBuffer.wrap("{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8));

  public static void main(String[] args) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setAcceptQueueSize(8192);
    connector.setIdleTimeout(IDLE.toMillis());
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract.NonBlocking() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.getHeaders().put("Content-Type", "application/json");
            response.write(true, BODY.slice(), callback);
            return true;
          }
        });
    server.start();
    System.out.println("jetty ready on http://127.0.0.1:" + connector.getLocalPort());
    server.join();
  }
}
