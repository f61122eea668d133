package io.pullroute.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password and secret hashing (OWASP parameters: 19 MiB, 2 iterations, 1 lane), stored in
 * the PHC string format {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}. Thread-safe.
 */
public final class PasswordHasher {
  private static final int MEMORY_KIB = 19_456;
  private static final int ITERATIONS = 2;
  private static final int PARALLELISM = 1;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final Base64.Encoder ENCODER = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getDecoder();

  private final SecureRandom random = new SecureRandom();

  public String hash(String secret) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] hash = argon2(secret, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
    return "$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s"
        .formatted(
            MEMORY_KIB,
            ITERATIONS,
            PARALLELISM,
            ENCODER.encodeToString(salt),
            ENCODER.encodeToString(hash));
  }

  /** Whether {@code secret} matches {@code encoded}; false for anything malformed. */
  public boolean matches(String secret, String encoded) {
    if (secret == null || encoded == null) {
      return false;
    }
    String[] parts = encoded.split("\\$");
    // ["", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash]
    if (parts.length != 6 || !parts[1].equals("argon2id")) {
      return false;
    }
    try {
      int memory = 0;
      int iterations = 0;
      int parallelism = 0;
      for (String parameter : parts[3].split(",")) {
        int value = Integer.parseInt(parameter.substring(2));
        switch (parameter.charAt(0)) {
          case 'm' -> memory = value;
          case 't' -> iterations = value;
          case 'p' -> parallelism = value;
          default -> {
            return false;
          }
        }
      }
      byte[] salt = DECODER.decode(parts[4]);
      byte[] expected = DECODER.decode(parts[5]);
      byte[] actual = argon2(secret, salt, memory, iterations, parallelism, expected.length);
      return MessageDigest.isEqual(expected, actual);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] argon2(
      String secret, byte[] salt, int memory, int iterations, int parallelism, int length) {
    Argon2Parameters parameters =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(memory)
            .withIterations(iterations)
            .withParallelism(parallelism)
            .withSalt(salt)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters);
    byte[] out = new byte[length];
    generator.generateBytes(secret.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
