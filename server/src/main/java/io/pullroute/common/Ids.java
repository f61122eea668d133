package io.pullroute.common;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Opaque identifiers and secrets. Thread-safe. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /**
   * A new 24-hex-character id for a resource or a correlation: unique, not secret, so it comes from
   * the fast thread-local generator (one is made for every request).
   */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return HexFormat.of().toHexDigits(random.nextLong())
        + HexFormat.of().toHexDigits(random.nextInt());
  }

  /** A random secret of {@code bytes} bytes, hex encoded, from a cryptographic generator. */
  public static String randomHex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HexFormat.of().formatHex(buffer);
  }
}
