package io.pullroute.common;

import io.pullroute.common.PullrouteException.RateLimited;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A token bucket per key (a principal, a session): {@code perSecond} requests a second, bursts of
 * the same size. Kept per node: behind a load balancer each node allows the rate on its own.
 * Thread-safe.
 */
public final class RateLimiter {
  private static final int MAX_BUCKETS = 100_000;

  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final InstantSource clock;
  private final double perSecond;

  public RateLimiter(double perSecond, InstantSource clock) {
    this.perSecond = perSecond;
    this.clock = clock;
  }

  /** Forgets {@code key}, e.g. a deleted session. */
  public void forget(String key) {
    buckets.remove(key);
  }

  /** Takes one token for {@code key}, or throws {@link RateLimited} with the wait in seconds. */
  public void acquire(String key) {
    if (buckets.size() > MAX_BUCKETS) {
      // Idle principals' buckets are full anyway; forgetting them all loses nothing but the
      // memory they held.
      buckets.clear();
    }
    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(perSecond, clock.millis()));
    long waitMillis = bucket.take(perSecond, clock.millis());
    if (waitMillis > 0) {
      throw new RateLimited(
          "too many requests: at most " + (long) perSecond + " a second",
          Math.max(1, (waitMillis + 999) / 1000));
    }
  }

  private static final class Bucket {
    private final ReentrantLock lock = new ReentrantLock();
    private double tokens;
    private long lastMillis;

    Bucket(double capacity, long nowMillis) {
      this.tokens = capacity;
      this.lastMillis = nowMillis;
    }

    /** 0 when a token was taken, else how long until one is available. */
    long take(double perSecond, long nowMillis) {
      lock.lock();
      try {
        long elapsed = Math.max(0, nowMillis - lastMillis);
        tokens = Math.min(perSecond, tokens + elapsed * perSecond / 1000.0);
        lastMillis = nowMillis;
        if (tokens >= 1) {
          tokens -= 1;
          return 0;
        }
        return (long) Math.ceil((1 - tokens) * 1000.0 / perSecond);
      } finally {
        lock.unlock();
      }
    }
  }
}
