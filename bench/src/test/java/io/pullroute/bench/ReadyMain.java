package io.pullroute.bench;

import java.util.concurrent.CountDownLatch;

/**
 * A JVM for {@link JvmTest}: writes its arguments to standard error, says it is ready, and runs
 * until it is stopped.
 */
final class ReadyMain {
  private ReadyMain() {}

  public static void main(String[] args) throws InterruptedException {
    for (String line : args) {
      System.err.println(line);
    }
    System.out.println("ready on http://127.0.0.1:9");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
