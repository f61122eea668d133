package io.pullroute.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Stopping a background worker lets the task it runs end uninterrupted (before, {@code shutdownNow}
 * interrupted it: a cursor write on the embedded store, interrupted in its file read, closed the
 * store's file and the writes on close failed after it).
 */
class WorkersTest {

  @Test
  void stopping_lets_the_running_task_end_without_an_interrupt() throws Exception {
    ScheduledThreadPoolExecutor worker = Workers.scheduler("workers-test");
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean ended = new AtomicBoolean();
    worker.execute(
        () -> {
          started.countDown();
          try {
            release.await();
            ended.set(true);
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

    Thread stopping = Thread.ofPlatform().start(() -> Workers.stop(worker, Duration.ofMinutes(1)));
    await().atMost(Duration.ofSeconds(30)).until(worker::isShutdown);
    release.countDown();
    stopping.join(Duration.ofSeconds(30));

    assertThat(interrupted).isFalse();
    assertThat(ended).isTrue();
    assertThat(worker.isTerminated()).isTrue();
  }

  @Test
  void stopping_drops_the_tasks_not_yet_started() throws Exception {
    ScheduledThreadPoolExecutor worker = Workers.scheduler("workers-test");
    AtomicInteger ran = new AtomicInteger();
    worker.schedule(ran::incrementAndGet, 1, TimeUnit.HOURS);
    worker.scheduleWithFixedDelay(ran::incrementAndGet, 1, 1, TimeUnit.HOURS);
    CountDownLatch release = new CountDownLatch(1);
    worker.execute(
        () -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    worker.execute(ran::incrementAndGet); // queued behind the running task

    Thread stopping = Thread.ofPlatform().start(() -> Workers.stop(worker, Duration.ofHours(1)));
    await().atMost(Duration.ofSeconds(30)).until(worker::isShutdown);
    release.countDown();
    // Not waiting for the tasks due in an hour: terminated as soon as the running one ended.
    await().atMost(Duration.ofSeconds(30)).until(worker::isTerminated);
    stopping.join(Duration.ofSeconds(30));
    assertThat(ran).hasValue(0);
  }

  @Test
  void a_task_that_does_not_end_within_the_wait_is_interrupted() throws Exception {
    ScheduledThreadPoolExecutor worker = Workers.scheduler("workers-test");
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    worker.execute(
        () -> {
          started.countDown();
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            interrupted.countDown();
          }
        });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

    Workers.stop(worker, Duration.ofMillis(50));

    assertThat(interrupted.await(30, TimeUnit.SECONDS)).isTrue();
  }
}
