package io.pullroute.common;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Opaque identifiers and secrets. Thread-safe. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /** A new 24-hex-character resource id. */
  public static String newId() {
    return randomHex(12);
  }

  /** A random secret of {@code bytes} bytes, hex encoded. */
  public static String randomHex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HexFormat.of().formatHex(buffer);
  }
}
