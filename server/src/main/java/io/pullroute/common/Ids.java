package io.pullroute.common;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Opaque identifiers and secrets. Thread-safe. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private Ids() {}

  /**
   * A new 24-hex-character id for a resource or a correlation: unique, not secret, so it comes from
   * the fast thread-local generator (one is made for every request).
   */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = random.nextLong();
    int low = random.nextInt();
    // Written in place: the two halves as strings and their concatenation cost three strings.
    byte[] hex = new byte[24];
    for (int i = 15; i >= 0; i--, high >>>= 4) {
      hex[i] = HEX_DIGITS[(int) (high & 0xF)];
    }
    for (int i = 23; i >= 16; i--, low >>>= 4) {
      hex[i] = HEX_DIGITS[low & 0xF];
    }
    return new String(hex, StandardCharsets.ISO_8859_1);
  }

  /** A random secret of {@code bytes} bytes, hex encoded, from a cryptographic generator. */
  public static String randomHex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HexFormat.of().formatHex(buffer);
  }
}
