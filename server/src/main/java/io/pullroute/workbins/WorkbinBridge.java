package io.pullroute.workbins;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullroute.common.Workers;
import io.pullroute.events.Event;
import io.pullroute.http.Json;
import io.pullroute.routing.RoutingService;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries the {@code workbin.*} events of the log to the CometD sessions of this node, in commit
 * order, on one thread of its own: a group workbin's messages to the subscribers of its list, an
 * agent's own workbin's messages and subscription changes to that agent. Thread-safe.
 *
 * <p>A list's subscribers are read from the store once and remembered ({@link ListSubscribers}):
 * the workbin API's Subscribe and Unsubscribe commit with a {@code
 * workbin.SubscriptionStateChanged} event of that list, which this bridge sees in commit order on
 * every node and which makes it read the list again; a change through {@code
 * /api/v1/me/subscriptions}, and an administrator's change that ends subscriptions, are forgotten
 * at once by the server that made them. Other nodes, and rows that go without an event (a deleted
 * user or list), read the list again within a second. With no CometD session connected to this
 * node, events are not read at all.
 */
public final class WorkbinBridge implements Consumer<List<Event>>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkbinBridge.class);
  private static final ObjectMapper JSON = Json.newMapper();

  private final CometDNotifications notifications;
  private final ListSubscribers subscribers;
  private final ScheduledThreadPoolExecutor delivery = Workers.scheduler("pullroute-cometd-bridge");

  public WorkbinBridge(CometDNotifications notifications, RoutingService routing) {
    this.notifications = notifications;
    this.subscribers = new ListSubscribers(routing::subscribers, System::nanoTime);
    // A change through the v1 API appends no event: this server forgets the list itself.
    routing.onSubscriptionChange(listId -> delivery.execute(() -> subscribers.changed(listId)));
  }

  /**
   * Subscriptions of any lists may have changed without an event (an administrator's change ended
   * those its users may no longer have): every list's subscribers are read again.
   */
  public void subscriptionsChanged() {
    delivery.execute(subscribers::forgetAll);
  }

  /**
   * Some of {@code userId}'s subscriptions may have ended without an event (its place or roles
   * changed): the lists it was subscribed to are read again, no others.
   */
  public void subscriptionsMayHaveEnded(String userId) {
    delivery.execute(() -> subscribers.mayHaveEnded(userId));
  }

  /** Called by the hub with every batch of committed events, in order. */
  @Override
  public void accept(List<Event> events) {
    List<Event> workbin =
        events.stream().filter(event -> event.category().equals("workbin")).toList();
    if (!workbin.isEmpty()) {
      delivery.execute(() -> workbin.forEach(this::deliver));
    }
  }

  private void deliver(Event event) {
    if (event.type().equals(WorkbinEvents.SUBSCRIPTION_CHANGED)) {
      subscribers.changed(event.resourceId());
    }
    if (!notifications.anyoneConnected()) {
      return;
    }
    try {
      Map<String, Object> data = JSON.readValue(event.payload(), new TypeReference<>() {});
      Set<String> users = new HashSet<>();
      for (String key : event.audience()) {
        if (key.startsWith("user:")) {
          users.add(key.substring("user:".length()));
        } else if (key.startsWith("list:")) {
          users.addAll(subscribers.of(key.substring("list:".length())));
        }
      }
      users.forEach(user -> notifications.deliver(user, data));
    } catch (IOException | RuntimeException e) {
      LOG.warn("delivering {} to CometD failed", event.id(), e);
    }
  }

  @Override
  public void close() {
    Workers.stop(delivery, Workers.STOP_WAIT);
  }
}
