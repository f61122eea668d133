package io.pullroute.workbins;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pullroute.testing.ApiClient;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CometD endpoint over its WebSocket transport, spoken as raw Bayeux frames: a token in the
 * handshake's {@code ext}, a subscription to {@code /v2/me/workbins}, and a workbin message
 * arriving on the socket.
 */
public class CometDWebSocketTest {
  private static TestServer server;
  private static WebSocketClient client;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(StoreKind.H2, config -> config.withDemo(true));
    client = new WebSocketClient();
    client.start();
  }

  @AfterAll
  static void stop() throws Exception {
    client.stop();
    server.close();
  }

  /** Collects the Bayeux messages a socket receives. */
  public static final class Frames implements Session.Listener.AutoDemanding {
    final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();

    @Override
    public void onWebSocketText(String text) {
      try {
        for (JsonNode message : ApiClient.JSON.readTree(text)) {
          messages.add(message);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** The next message on {@code channel}, skipping others (e.g. /meta/connect replies). */
    JsonNode next(String channel) throws InterruptedException {
      while (true) {
        JsonNode message = messages.poll(30, TimeUnit.SECONDS);
        assertThat(message).as("a message on " + channel).isNotNull();
        if (message.path("channel").asText().equals(channel)) {
          return message;
        }
      }
    }
  }

  private static Session connect(Frames frames) throws Exception {
    URI uri = URI.create(server.http().base().replace("http", "ws") + "/api/v2/notifications");
    return client.connect(frames, uri).get(30, TimeUnit.SECONDS);
  }

  private static void send(Session session, Object messages) throws Exception {
    session.sendText(
        ApiClient.JSON.writeValueAsString(messages), org.eclipse.jetty.websocket.api.Callback.NOOP);
  }

  @Test
  void a_websocket_client_with_a_token_hears_its_workbin_subscription() throws Exception {
    ApiClient http = server.http();
    String token = http.userToken("demo", "agent1", "demo");
    Frames frames = new Frames();
    Session session = connect(frames);
    send(
        session,
        List.of(
            Map.of(
                "channel",
                "/meta/handshake",
                "version",
                "1.0",
                "supportedConnectionTypes",
                List.of("websocket"),
                "ext",
                Map.of("authorization", "Bearer " + token))));
    JsonNode handshake = frames.next("/meta/handshake");
    assertThat(handshake.get("successful").asBoolean()).as(handshake.toString()).isTrue();
    String clientId = handshake.get("clientId").asText();
    send(
        session,
        List.of(
            Map.of(
                "channel",
                "/meta/connect",
                "clientId",
                clientId,
                "connectionType",
                "websocket",
                "advice",
                Map.of("timeout", 0)),
            Map.of(
                "channel",
                "/meta/subscribe",
                "clientId",
                clientId,
                "subscription",
                CometDNotifications.CHANNEL)));
    assertThat(frames.next("/meta/subscribe").get("successful").asBoolean()).isTrue();
    send(
        session,
        List.of(
            Map.of(
                "channel", "/meta/connect", "clientId", clientId, "connectionType", "websocket")));

    JsonNode workbins = http.get("/api/v2/me/workbins", token).json();
    JsonNode group = null;
    for (JsonNode workbin : workbins.get("workbins")) {
      if (workbin.get("type").asText().equals("AgentGroup")) {
        group = workbin;
      }
    }
    assertThat(group).isNotNull();
    String path =
        "/api/v2/me/workbins/"
            + group.get("id").asText()
            + "?agentGroup="
            + java.net.URLEncoder.encode(
                group.get("agentGroup").asText(), java.nio.charset.StandardCharsets.UTF_8);
    JsonNode answer = http.post(path, token, Map.of("operationName", "Subscribe")).json();
    assertThat(answer.get("statusCode").asInt()).isZero();

    JsonNode message = frames.next(CometDNotifications.CHANNEL);
    JsonNode data = message.get("data");
    assertThat(data.get("messageType").asText()).isEqualTo("WorkbinSubscriptionStateChangeMessage");
    assertThat(data.get("stateResource").asText()).isEqualTo("Subscribed");
    assertThat(data.get("id").asText()).isEqualTo(group.get("id").asText());
    assertThat(data.get("referenceId").asLong()).isEqualTo(answer.get("referenceId").asLong());
    session.close();
  }

  @Test
  void a_websocket_handshake_without_a_token_is_refused() throws Exception {
    Frames frames = new Frames();
    Session session = connect(frames);
    send(
        session,
        List.of(
            Map.of(
                "channel", "/meta/handshake",
                "version", "1.0",
                "supportedConnectionTypes", List.of("websocket"))));
    JsonNode handshake = frames.next("/meta/handshake");
    assertThat(handshake.get("successful").asBoolean()).isFalse();
    assertThat(handshake.get("error").asText()).contains("403");
    session.close();
  }
}
