package io.pullroute.routing;

import io.pullroute.common.Ids;
import io.pullroute.common.Workers;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing timers: reminders for requests left UNREAD on lists with {@code reminderAfter}, and
 * closing requests whose customer was silent longer than their channel's {@code
 * customerActivityTimeout}. {@link #runDue()} does what is due by the injected clock; a scheduler
 * calls it every second, tests call it after moving the clock. Thread-safe; one run at a time.
 */
public final class RoutingTimers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RoutingTimers.class);
  private static final int BATCH = 200;

  private final RoutingService routing;
  private final InstantSource clock;
  private final ReentrantLock running = new ReentrantLock();
  private final ScheduledThreadPoolExecutor scheduler =
      Workers.scheduler("pullroute-routing-timers");

  public RoutingTimers(RoutingService routing, InstantSource clock) {
    this.routing = routing;
    this.clock = clock;
  }

  public RoutingTimers start() {
    scheduler.scheduleWithFixedDelay(this::runQuietly, 1, 1, TimeUnit.SECONDS);
    return this;
  }

  private void runQuietly() {
    try {
      runDue();
    } catch (RuntimeException e) {
      LOG.warn("routing timers failed; retrying in a second", e);
    }
  }

  /** Does what is due now; returns how many requests were reminded or closed. */
  public int runDue() {
    running.lock();
    try {
      Instant now = clock.instant();
      int done = 0;
      RoutingRepository repository = routing.repository();
      for (String id : repository.dueReminders(now, BATCH)) {
        String orgId = orgOf(repository, id);
        if (orgId != null && routing.remind(orgId, id, "timer-" + Ids.newId())) {
          done++;
        }
      }
      for (String id : repository.dueForInactivity(now, BATCH)) {
        String orgId = orgOf(repository, id);
        if (orgId != null && routing.expireInactive(orgId, id, now, "timer-" + Ids.newId())) {
          done++;
        }
      }
      return done;
    } finally {
      running.unlock();
    }
  }

  private static String orgOf(RoutingRepository repository, String conversationId) {
    return repository.orgOf(conversationId).orElse(null);
  }

  @Override
  public void close() {
    Workers.stop(scheduler, Workers.STOP_WAIT);
  }
}
