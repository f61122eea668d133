package io.pullroute.workbins;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pullroute.events.Event;
import io.pullroute.routing.RoutingService;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries the {@code workbin.*} events of the log to the CometD sessions of this node, in commit
 * order, on one thread of its own: a group workbin's messages to the subscribers of its list, an
 * agent's own workbin's messages and subscription changes to that agent. Thread-safe.
 */
public final class WorkbinBridge implements Consumer<List<Event>>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkbinBridge.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CometDNotifications notifications;
  private final RoutingService routing;
  private final ExecutorService delivery =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "pullroute-cometd-bridge");
            thread.setDaemon(true);
            return thread;
          });

  public WorkbinBridge(CometDNotifications notifications, RoutingService routing) {
    this.notifications = notifications;
    this.routing = routing;
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
    try {
      Map<String, Object> data = JSON.readValue(event.payload(), new TypeReference<>() {});
      Set<String> users = new HashSet<>();
      for (String key : event.audience()) {
        if (key.startsWith("user:")) {
          users.add(key.substring("user:".length()));
        } else if (key.startsWith("list:")) {
          users.addAll(routing.subscribers(key.substring("list:".length())));
        }
      }
      users.forEach(user -> notifications.deliver(user, data));
    } catch (IOException | RuntimeException e) {
      LOG.warn("delivering {} to CometD failed", event.id(), e);
    }
  }

  @Override
  public void close() {
    delivery.shutdownNow();
  }
}
