package io.pullroute.common;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The background threads that read and write the store (timers, cursor writes, deliveries), and how
 * they stop.
 */
public final class Workers {
  /** How long a task running at close has to end before it is interrupted. */
  public static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private Workers() {}

  /** One daemon thread named {@code name}, running tasks at their time. */
  public static ScheduledThreadPoolExecutor scheduler(String name) {
    return new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name(name).daemon().factory());
  }

  /**
   * Stops {@code executor} without interrupting the task it is running: tasks not started are
   * dropped, the running one has {@code wait} to end and is interrupted only after that. A thread
   * interrupted in the middle of a read or a write on the embedded store closes the store's file (a
   * {@code FileChannel} is interruptible), and every statement after it fails, the cursors written
   * on close among them.
   */
  public static void stop(ThreadPoolExecutor executor, Duration wait) {
    if (executor instanceof ScheduledThreadPoolExecutor scheduled) {
      scheduled.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      scheduled.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }
    executor.shutdown();
    executor.getQueue().clear();
    try {
      if (!executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
