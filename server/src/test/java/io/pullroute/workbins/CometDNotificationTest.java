package io.pullroute.workbins;

import static io.pullroute.workbins.WorkbinFixture.OTHER;
import static io.pullroute.workbins.WorkbinFixture.TEAM;
import static io.pullroute.workbins.WorkbinFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient.Response;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.cometd.bayeux.Channel;
import org.cometd.bayeux.Message;
import org.cometd.bayeux.client.ClientSessionChannel;
import org.cometd.client.BayeuxClient;
import org.cometd.client.http.jetty.JettyHttpClientTransport;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CometD endpoint {@code /api/v2/notifications} with the real CometD Java client over
 * long-polling (DESIGN.md §4.5): handshakes need a user's bearer token; a group workbin's
 * subscriber hears its subscription confirmed and every pull with the pull's {@code referenceId};
 * the puller hears the item added to its own workbin; nobody else hears any of it; clients cannot
 * publish.
 *
 * <p>That an agent did not receive something is shown with a later message it does receive (its own
 * Subscribe confirmation, committed after what it must not hear): the bridge delivers in commit
 * order on one thread, and one session's messages arrive in order.
 */
class CometDNotificationTest {
  private static final String CHANNEL = "/v2/me/workbins";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final AtomicInteger ORGS = new AtomicInteger();

  private static TestServer server;
  private static HttpClient httpClient;
  private final List<BayeuxClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(StoreKind.H2);
    httpClient = new HttpClient();
    httpClient.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (httpClient != null) {
      httpClient.stop();
    }
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void disconnect() {
    for (BayeuxClient client : clients) {
      if (!client.disconnect(5_000)) {
        client.abort();
      }
    }
    clients.clear();
  }

  private static WorkbinFixture fixture() {
    return new WorkbinFixture(server.http(), "cometd-" + ORGS.incrementAndGet());
  }

  private static String url() {
    return server.http().base() + CometDNotifications.PATH;
  }

  // ---- a CometD client of one agent

  /** The messages one client received on {@code /v2/me/workbins}, in order. */
  private static final class Inbox {
    final List<Message> messages = new CopyOnWriteArrayList<>();

    List<Map<String, Object>> data() {
      return messages.stream().map(Message::getDataAsMap).toList();
    }

    /** Waits for the first message whose data matches; returns its data. */
    Map<String, Object> await(String what, Predicate<Map<String, Object>> matches) {
      return org.awaitility.Awaitility.await(what)
          .atMost(WAIT)
          .until(
              () -> data().stream().filter(matches).findFirst().orElse(null),
              found -> found != null);
    }
  }

  /**
   * A long-polling transport; its options map must be mutable ({@code Map.of()} makes the
   * BayeuxClient constructor throw UnsupportedOperationException).
   */
  private static JettyHttpClientTransport transport() {
    return new JettyHttpClientTransport(new HashMap<>(), httpClient);
  }

  private BayeuxClient client(JettyHttpClientTransport transport) {
    return client(new BayeuxClient(url(), transport));
  }

  private BayeuxClient client(BayeuxClient client) {
    clients.add(client);
    return client;
  }

  /** Handshakes with {@code template} (null: none) and answers the handshake reply. */
  private static Message handshake(BayeuxClient client, Map<String, Object> template)
      throws Exception {
    CompletableFuture<Message> reply = new CompletableFuture<>();
    if (template == null) {
      client.handshake(reply::complete);
    } else {
      client.handshake(template, reply::complete);
    }
    return reply.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Map<String, Object> bearerExt(String token) {
    return Map.of("ext", Map.of("authorization", "Bearer " + token));
  }

  /** A client of {@code token}'s agent, handshaken and subscribed to {@code /v2/me/workbins}. */
  private Inbox listen(String token) throws Exception {
    BayeuxClient client = client(transport());
    Message handshake = handshake(client, bearerExt(token));
    assertThat(handshake.isSuccessful()).as("handshake: %s", handshake).isTrue();
    return subscribe(client);
  }

  private static Inbox subscribe(BayeuxClient client) throws Exception {
    Inbox inbox = new Inbox();
    CompletableFuture<Message> reply = new CompletableFuture<>();
    client
        .getChannel(CHANNEL)
        .subscribe((channel, message) -> inbox.messages.add(message), reply::complete);
    Message subscribed = reply.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(subscribed.isSuccessful()).as("subscribe: %s", subscribed).isTrue();
    return inbox;
  }

  /** A transport that sends the bearer token in the HTTP {@code Authorization} header. */
  private static final class BearerTransport extends JettyHttpClientTransport {
    private final String token;

    BearerTransport(String token) {
      super(new HashMap<>(), httpClient);
      this.token = token;
    }

    @Override
    protected void customize(Request request) {
      super.customize(request);
      request.headers(headers -> headers.put("Authorization", "Bearer " + token));
    }
  }

  // ---- message shapes

  private static long number(Map<String, Object> data, String key) {
    assertThat(data.get(key)).as("%s of %s", key, data).isInstanceOf(Number.class);
    return ((Number) data.get(key)).longValue();
  }

  @SuppressWarnings("unchecked")
  private static String itemId(Map<String, Object> data) {
    Object item = data.get("chatStateResourceV2");
    return item instanceof Map<?, ?> map ? (String) ((Map<String, Object>) map).get("id") : null;
  }

  private static Predicate<Map<String, Object>> subscriptionChange(long referenceId) {
    return data ->
        "WorkbinSubscriptionStateChangeMessage".equals(data.get("messageType"))
            && data.get("referenceId") instanceof Number n
            && n.longValue() == referenceId;
  }

  private static Predicate<Map<String, Object>> itemChange(String action, String interactionId) {
    return data ->
        "WorkbinStateChangeMessage".equals(data.get("messageType"))
            && action.equals(data.get("action"))
            && interactionId.equals(itemId(data));
  }

  /**
   * {@code user} subscribes to its own workbin (no list) and waits for the confirmation on {@code
   * inbox}: everything committed before it has been delivered to that client by then.
   */
  private static Map<String, Object> marker(WorkbinFixture org, String user, Inbox inbox) {
    long reference = succeeded(org.operate(user, org.id(user), null, "Subscribe", null));
    Map<String, Object> confirmation =
        inbox.await("marker of " + user, subscriptionChange(reference));
    assertThat(confirmation.get("id")).isEqualTo(org.id(user));
    assertThat(confirmation.get("stateResource")).isEqualTo("Subscribed");
    return confirmation;
  }

  // ---- handshakes

  @Test
  void a_handshake_without_a_valid_user_token_is_refused() throws Exception {
    WorkbinFixture org = fixture();

    Message none = handshake(client(transport()), null);
    assertThat(none.isSuccessful()).as("no token: %s", none).isFalse();

    Message garbage = handshake(client(transport()), bearerExt("not-a-token"));
    assertThat(garbage.isSuccessful()).as("a made-up token: %s", garbage).isFalse();

    String forged = org.token("a1").substring(0, org.token("a1").length() - 4) + "AAAA";
    Message tampered = handshake(client(transport()), bearerExt(forged));
    assertThat(tampered.isSuccessful()).as("a tampered token: %s", tampered).isFalse();

    Message inHeader = handshake(client(new BearerTransport("not-a-token")), null);
    assertThat(inHeader.isSuccessful()).as("a made-up token in the header: %s", inHeader).isFalse();

    // A client's token (the admin client's) is not a user's.
    Message clientToken = handshake(client(transport()), bearerExt(org.admin));
    assertThat(clientToken.isSuccessful()).as("a client token: %s", clientToken).isFalse();
  }

  @Test
  void a_handshake_with_the_token_in_the_authorization_header_is_accepted_and_hears_the_agent()
      throws Exception {
    WorkbinFixture org = fixture();
    BayeuxClient client = client(new BearerTransport(org.token("a1")));
    Message handshake = handshake(client, null);
    assertThat(handshake.isSuccessful()).as("handshake: %s", handshake).isTrue();
    Inbox inbox = subscribe(client);
    marker(org, "a1", inbox);
    assertThat(inbox.messages.getFirst().getChannel()).isEqualTo(CHANNEL);
  }

  @Test
  void the_session_of_a_user_whose_password_changed_since_its_handshake_ends() throws Exception {
    WorkbinFixture org = fixture();
    String token = org.token("a1");
    BayeuxClient client = client(transport());
    assertThat(handshake(client, bearerExt(token)).isSuccessful()).isTrue();
    subscribe(client);

    Response changed =
        server
            .http()
            .patch("/api/v1/users/" + org.id("a1"), org.admin, Map.of("password", "changed-pw-1"));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);

    Awaitility.await("the session ends").atMost(WAIT).until(client::isDisconnected);
    BayeuxClient again = client(transport());
    assertThat(handshake(again, bearerExt(token)).isSuccessful())
        .as("a handshake with the same token")
        .isFalse();
  }

  // ---- what a subscriber and the puller hear

  @Test
  void a_subscriber_hears_its_subscription_and_another_agents_pull_with_the_pulls_reference_id()
      throws Exception {
    WorkbinFixture org = fixture();
    Inbox subscriber = listen(org.token("a1"));
    Inbox puller = listen(org.token("a2"));

    long subscribeReference = succeeded(org.operate("a1", org.ownedList, TEAM, "Subscribe", null));
    Map<String, Object> subscribed =
        subscriber.await("a1's Subscribed", subscriptionChange(subscribeReference));
    assertThat(subscribed.get("stateResource")).isEqualTo("Subscribed");
    assertThat(subscribed.get("id")).isEqualTo(org.ownedList);
    assertThat(subscribed.get("agentGroup")).isEqualTo(TEAM);
    assertThat(number(subscribed, "referenceId")).isEqualTo(subscribeReference);

    String chat = org.intake(org.webChannel);
    Map<String, Object> parked =
        subscriber.await("a1's ItemAdded of the new request", itemChange("ItemAdded", chat));
    assertThat(parked.get("id")).isEqualTo(org.ownedList);
    assertThat(parked.get("agentGroup")).isEqualTo(TEAM);
    long pullReference = org.pulled("a2", "PullChat", chat);

    Map<String, Object> removed =
        subscriber.await("a1's ItemRemoved", itemChange("ItemRemoved", chat));
    assertThat(removed.get("messageType")).isEqualTo("WorkbinStateChangeMessage");
    assertThat(removed.get("action")).isEqualTo("ItemRemoved");
    assertThat(removed.get("agentGroup")).isEqualTo(TEAM);
    assertThat(removed.get("id")).isEqualTo(org.ownedList);
    assertThat(itemId(removed)).isEqualTo(chat);
    assertThat(number(removed, "referenceId")).isEqualTo(pullReference);

    Map<String, Object> added = puller.await("a2's ItemAdded", itemChange("ItemAdded", chat));
    assertThat(added.get("messageType")).isEqualTo("WorkbinStateChangeMessage");
    assertThat(added.get("id")).isEqualTo(org.id("a2"));
    assertThat(added.containsKey("agentGroup")).isFalse();
    assertThat(number(added, "referenceId")).isEqualTo(pullReference);
    assertThat(puller.messages).allMatch(message -> CHANNEL.equals(message.getChannel()));

    // Each heard its own half only: the puller is no subscriber of the list, and the subscriber
    // does not own the puller's workbin (it heard the request added to the group's, at intake).
    marker(org, "a1", subscriber);
    marker(org, "a2", puller);
    assertThat(subscriber.data())
        .filteredOn(data -> "ItemAdded".equals(data.get("action")))
        .allMatch(data -> org.ownedList.equals(data.get("id")));
    assertThat(puller.data()).noneMatch(data -> "ItemRemoved".equals(data.get("action")));
    assertThat(subscriber.data()).filteredOn(itemChange("ItemRemoved", chat)).hasSize(1);
    assertThat(puller.data()).filteredOn(itemChange("ItemAdded", chat)).hasSize(1);
  }

  @Test
  void agents_not_subscribed_to_the_workbin_never_hear_its_pulls() throws Exception {
    WorkbinFixture org = fixture();
    Inbox subscriber = listen(org.token("a1"));
    Inbox teammate = listen(org.token("a4")); // in the group, not subscribed to its workbin
    Inbox outsider = listen(org.token("a3")); // of the other group
    long reference = succeeded(org.operate("a1", org.ownedList, TEAM, "Subscribe", null));
    subscriber.await("a1's Subscribed", subscriptionChange(reference));

    String chat = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", chat);
    subscriber.await("a1's ItemRemoved", itemChange("ItemRemoved", chat));

    Map<String, Object> teammateMarker = marker(org, "a4", teammate);
    Map<String, Object> outsiderMarker = marker(org, "a3", outsider);
    assertThat(teammate.data()).containsExactly(teammateMarker);
    assertThat(outsider.data()).containsExactly(outsiderMarker);
  }

  @Test
  void after_unsubscribe_the_agent_hears_the_confirmation_and_no_further_pulls() throws Exception {
    WorkbinFixture org = fixture();
    Inbox inbox = listen(org.token("a1"));
    long subscribe = succeeded(org.operate("a1", org.ownedList, TEAM, "Subscribe", null));
    inbox.await("Subscribed", subscriptionChange(subscribe));
    String first = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", first);
    inbox.await("ItemRemoved of the first", itemChange("ItemRemoved", first));

    long unsubscribe = succeeded(org.operate("a1", org.ownedList, TEAM, "Unsubscribe", null));
    Map<String, Object> unsubscribed = inbox.await("Unsubscribed", subscriptionChange(unsubscribe));
    assertThat(unsubscribed.get("stateResource")).isEqualTo("Unsubscribed");
    assertThat(unsubscribed.get("id")).isEqualTo(org.ownedList);
    assertThat(unsubscribed.get("agentGroup")).isEqualTo(TEAM);

    String second = org.intake(org.webChannel);
    org.pulled("a4", "PullChat", second);
    marker(org, "a1", inbox);
    assertThat(inbox.data()).noneMatch(data -> second.equals(itemId(data)));
  }

  /**
   * a1 subscribes to the Team workbin and hears a2's pull from it: the bridge has read the list's
   * subscribers and remembers them.
   */
  private static void subscribedAndHeardAPull(WorkbinFixture org, Inbox a1) {
    a1.await(
        "a1's Subscribed",
        subscriptionChange(succeeded(org.operate("a1", org.ownedList, TEAM, "Subscribe", null))));
    String pulled = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", pulled);
    a1.await("a1's ItemRemoved of the first", itemChange("ItemRemoved", pulled));
  }

  @Test
  void an_agent_subscribing_after_pulls_were_heard_hears_the_next_pull() throws Exception {
    // The bridge remembers a list's subscribers once it has read them (for the first pull here);
    // the second agent's Subscribe must make it read them again.
    WorkbinFixture org = fixture();
    Inbox first = listen(org.token("a1"));
    Inbox second = listen(org.token("a4"));
    subscribedAndHeardAPull(org, first);

    second.await(
        "a4's Subscribed",
        subscriptionChange(succeeded(org.operate("a4", org.ownedList, TEAM, "Subscribe", null))));
    String after = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", after);

    second.await("a4's ItemRemoved of the second", itemChange("ItemRemoved", after));
    first.await("a1's ItemRemoved of the second", itemChange("ItemRemoved", after));
  }

  @Test
  void subscriptions_changed_through_the_v1_api_are_heard_from_the_next_pull() throws Exception {
    // The v1 API appends no subscription event; the server that made the change forgets the
    // list's subscribers itself.
    WorkbinFixture org = fixture();
    Inbox first = listen(org.token("a1"));
    Inbox second = listen(org.token("a4"));
    subscribedAndHeardAPull(org, first);

    String subscriptions = "/api/v1/me/subscriptions/" + org.ownedList;
    assertThat(org.http.put(subscriptions, org.token("a4"), null).status()).isEqualTo(200);
    assertThat(org.http.delete(subscriptions, org.token("a1")).status()).isEqualTo(204);
    String after = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", after);

    second.await("a4's ItemRemoved of the second", itemChange("ItemRemoved", after));
    marker(org, "a1", first);
    assertThat(first.data()).noneMatch(data -> after.equals(itemId(data)));
  }

  /**
   * A supervisor made an agent hears no more pulls from another group's workbin it subscribed to
   * (the change ended that subscription), and still hears its own group's. The node reads again the
   * subscribers of the lists the user was subscribed to.
   */
  @Test
  void a_supervisor_made_an_agent_hears_only_its_own_groups_workbin_afterwards() throws Exception {
    WorkbinFixture org = fixture();
    assertThat(roles(org, "a1", List.of("agent", "supervisor")).status()).isEqualTo(200);
    org.signInAgain("a1");
    Inbox a1 = listen(org.token("a1"));
    subscribedAndHeardAPull(org, a1);
    a1.await(
        "a1's Subscribed to the other group's workbin",
        subscriptionChange(succeeded(org.operate("a1", org.otherList, OTHER, "Subscribe", null))));
    String before = org.intake(org.otherWebChannel);
    succeeded(org.operate("a3", org.otherList, OTHER, "PullChat", before));
    a1.await("a1's ItemRemoved from the other workbin", itemChange("ItemRemoved", before));

    assertThat(roles(org, "a1", List.of("agent")).status()).isEqualTo(200);
    // Its token carries its roles: the agent signs in again.
    org.signInAgain("a1");
    Inbox agent = listen(org.token("a1"));
    String other = org.intake(org.otherWebChannel);
    succeeded(org.operate("a3", org.otherList, OTHER, "PullChat", other));
    String own = org.intake(org.webChannel);
    org.pulled("a2", "PullChat", own);

    agent.await("a1's ItemRemoved from its own group's workbin", itemChange("ItemRemoved", own));
    marker(org, "a1", agent);
    assertThat(agent.data()).noneMatch(data -> other.equals(itemId(data)));
  }

  private static Response roles(WorkbinFixture org, String user, List<String> roles) {
    return org.http.patch("/api/v1/users/" + org.id(user), org.admin, Map.of("roles", roles));
  }

  // ---- publishing

  /** Publishes {@code data} on {@code channel}; answers the publish reply. */
  private static Message publish(BayeuxClient client, String channel, Map<String, Object> data)
      throws Exception {
    CompletableFuture<Message> reply = new CompletableFuture<>();
    client.getChannel(channel).publish(data, reply::complete);
    return reply.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Map<String, Object> forgedRemoval(WorkbinFixture org) {
    return Map.of(
        "messageType", "WorkbinStateChangeMessage", "action", "ItemRemoved", "id", org.ownedList);
  }

  @Test
  void a_client_cannot_publish_on_the_workbin_channel() throws Exception {
    WorkbinFixture org = fixture();
    BayeuxClient publisher = client(transport());
    assertThat(handshake(publisher, bearerExt(org.token("a1"))).isSuccessful()).isTrue();
    Inbox own = subscribe(publisher);
    Inbox teammate = listen(org.token("a2"));

    Message published = publish(publisher, CHANNEL, forgedRemoval(org));
    assertThat(published.isSuccessful()).as("publish reply: %s", published).isFalse();
    Message other = publish(publisher, "/v2/me/calls", Map.of("x", 1));
    assertThat(other.isSuccessful()).as("publish reply on another channel: %s", other).isFalse();

    // Nobody heard the attempt, and the publisher's session still works.
    Map<String, Object> ownMarker = marker(org, "a1", own);
    Map<String, Object> teammateMarker = marker(org, "a2", teammate);
    assertThat(own.data()).containsExactly(ownMarker);
    assertThat(teammate.data()).containsExactly(teammateMarker);
  }

  /**
   * The publish must reach CometD and be refused by its security policy ({@code
   * 403:denied_by_security_policy:publish_denied}), not fail in transport: a message without a meta
   * type goes to the endpoint URL itself, {@code POST /api/v2/notifications}, which must be
   * CometD's, not a redirect to {@code /api/v2/notifications/}.
   */
  @Test
  void a_publish_is_refused_by_the_security_policy_at_the_endpoint_url_itself() throws Exception {
    WorkbinFixture org = fixture();
    BayeuxClient publisher = client(transport());
    assertThat(handshake(publisher, bearerExt(org.token("a1"))).isSuccessful()).isTrue();
    subscribe(publisher);

    Message published = publish(publisher, CHANNEL, forgedRemoval(org));
    assertThat(published.isSuccessful()).as("publish reply: %s", published).isFalse();
    assertThat(published.get(Message.ERROR_FIELD))
        .as(
            "the publish reply's error (a transport failure means it never reached CometD): %s",
            published)
        .asString()
        .contains("publish_denied");
  }

  // ---- stopping

  /** The replies one client received on a meta channel, in order. */
  private static List<Message> replies(BayeuxClient client, String metaChannel) {
    List<Message> replies = new CopyOnWriteArrayList<>();
    client
        .getChannel(metaChannel)
        .addListener(
            (ClientSessionChannel.MessageListener) (channel, message) -> replies.add(message));
    return replies;
  }

  private static void assertToldToHandshakeAgain(Message reply) {
    assertThat(reply.isSuccessful()).as("%s", reply).isFalse();
    assertThat(reply.getAdvice()).as("%s", reply).containsEntry("reconnect", "handshake");
  }

  /**
   * A server that stops ends its clients' sessions and refuses handshakes, each time with the
   * advice to handshake again: the client keeps trying until a node serves. CometD's own answers
   * would leave it disconnected for good (its {@code /meta/disconnect}, or {@code reconnect:
   * none}).
   */
  @Test
  void a_stopping_server_tells_its_clients_to_handshake_again_and_they_do() throws Exception {
    TestServer stopping = TestServer.start(StoreKind.H2);
    try {
      WorkbinFixture agents = new WorkbinFixture(stopping.http(), "cometd-ending");
      BayeuxClient client =
          client(new BayeuxClient(stopping.http().base() + CometDNotifications.PATH, transport()));
      List<Message> connects = replies(client, Channel.META_CONNECT);
      List<Message> handshakes = replies(client, Channel.META_HANDSHAKE);
      assertThat(handshake(client, bearerExt(agents.token("a1"))).isSuccessful()).isTrue();
      subscribe(client);
      org.awaitility.Awaitility.await("a held /meta/connect")
          .atMost(WAIT)
          .until(() -> stopping.server().notifications().heldConnects() == 1);
      int connectsBefore = connects.size();

      stopping.server().notifications().endSessions();

      org.awaitility.Awaitility.await("the held connect's reply")
          .atMost(WAIT)
          .until(() -> connects.size() > connectsBefore);
      assertToldToHandshakeAgain(connects.get(connectsBefore));
      org.awaitility.Awaitility.await("two refused handshakes after the first")
          .atMost(WAIT)
          .until(() -> handshakes.size() >= 3);
      assertToldToHandshakeAgain(handshakes.get(1));
      assertToldToHandshakeAgain(handshakes.get(2));
      assertThat(client.isDisconnected()).as("the client gave up").isFalse();
    } finally {
      stopping.close();
    }
  }

  /**
   * A long-polling client's {@code /meta/connect} is held by the server until a message or its
   * timeout. Stopping the server answers it at once, telling the client to handshake again (which
   * it goes on trying), and the stop itself succeeds: before, HTTP's graceful stop waited for the
   * held request, failed, and the client saw an HTTP 500.
   */
  @Test
  void stopping_the_server_answers_a_held_connect_with_the_advice_to_handshake_again()
      throws Exception {
    TestServer stopping = TestServer.start(StoreKind.H2);
    List<Message> connects;
    List<Message> handshakes;
    BayeuxClient client;
    int connectsBefore;
    try {
      WorkbinFixture agents = new WorkbinFixture(stopping.http(), "cometd-stopping");
      client =
          client(new BayeuxClient(stopping.http().base() + CometDNotifications.PATH, transport()));
      connects = replies(client, Channel.META_CONNECT);
      handshakes = replies(client, Channel.META_HANDSHAKE);
      assertThat(handshake(client, bearerExt(agents.token("a1"))).isSuccessful()).isTrue();
      subscribe(client);
      org.awaitility.Awaitility.await("a held /meta/connect")
          .atMost(WAIT)
          .until(() -> stopping.server().notifications().heldConnects() == 1);
      connectsBefore = connects.size();
    } finally {
      stopping.close();
    }
    org.awaitility.Awaitility.await("the held connect's reply")
        .atMost(WAIT)
        .until(() -> connects.size() > connectsBefore);
    assertToldToHandshakeAgain(connects.get(connectsBefore));
    org.awaitility.Awaitility.await("a handshake after the stop")
        .atMost(WAIT)
        .until(() -> handshakes.size() >= 2);
    assertThat(client.isDisconnected()).as("the client gave up").isFalse();
  }
}
