package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The claim benchmark's second baseline: the raw loop's conditional UPDATE behind a Jetty 12
 * handler, in a JVM of its own. A pull is a {@code POST} whose JSON body names the row ({@code
 * "id"}); the handler runs the UPDATE on one of as many pooled connections as the raw loop uses and
 * answers 200 when it changed the row, 409 when another agent had it. Nothing else: no token check,
 * no events, no other rows. Driven by the same load generator as pullroute, it tells what HTTP and
 * the load generator alone cost on this machine.
 *
 * <p>Arguments: the JDBC URL, the table (created here with rows {@code 0 … rows - 1}), the rows,
 * the connections.
 */
public final class SqlOverHttp {
  private static final byte[] CLAIMED =
      "{\"statusCode\":0,\"referenceId\":1}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] TAKEN =
      "{\"statusCode\":2,\"statusMessage\":\"taken\"}".getBytes(StandardCharsets.UTF_8);

  private SqlOverHttp() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String table = args[1];
    int rows = Integer.parseInt(args[2]);
    int connections = Integer.parseInt(args[3]);
    try (Connection setup = DriverManager.getConnection(url)) {
      ClaimBench.createClaimTable(setup, table, rows);
    }
    BlockingQueue<PreparedStatement> pool = new ArrayBlockingQueue<>(connections);
    for (int i = 0; i < connections; i++) {
      pool.add(DriverManager.getConnection(url).prepareStatement(ClaimBench.claimSql(table)));
    }
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    Server server = new Server(threads);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setAcceptQueueSize(8192);
    connector.setIdleTimeout(JettyHello.IDLE.toMillis());
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback)
              throws Exception {
            if (request.getHeaders().get("Authorization") == null) {
              Response.writeError(request, response, callback, 401);
              return true;
            }
            // Read to its end, so the connection is kept for the agent's next pull.
            JsonNode body =
                Http.JSON.readTree(Content.Source.asString(request, StandardCharsets.UTF_8));
            int id = Integer.parseInt(body.get("id").asText());
            PreparedStatement claim = pool.take();
            int changed;
            try {
              claim.setInt(1, 1);
              claim.setLong(2, System.nanoTime());
              claim.setInt(3, id);
              changed = claim.executeUpdate();
            } finally {
              pool.add(claim);
            }
            response.setStatus(changed == 1 ? 200 : 409);
            response.getHeaders().put("Content-Type", "application/json");
            response.write(true, ByteBuffer.wrap(changed == 1 ? CLAIMED : TAKEN), callback);
            return true;
          }
        });
    server.start();
    System.out.println("sql over http ready on http://127.0.0.1:" + connector.getLocalPort());
    server.join();
  }
}
