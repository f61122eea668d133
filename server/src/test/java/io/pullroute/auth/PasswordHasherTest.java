package io.pullroute.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  private final PasswordHasher hasher = new PasswordHasher();

  @Test
  void a_hash_is_argon2id_in_phc_format_and_matches_only_its_secret() {
    String hash = hasher.hash("correct horse");
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(hash).doesNotContain("correct horse");
    assertThat(hasher.matches("correct horse", hash)).isTrue();
    assertThat(hasher.matches("correct horsf", hash)).isFalse();
  }

  @Test
  void the_same_secret_hashes_differently_each_time() {
    assertThat(hasher.hash("x1234")).isNotEqualTo(hasher.hash("x1234"));
  }

  @Test
  void malformed_hashes_never_match() {
    assertThat(hasher.matches("x", null)).isFalse();
    assertThat(hasher.matches("x", "plain")).isFalse();
    assertThat(hasher.matches("x", "$argon2id$v=19$m=x,t=2,p=1$abc$def")).isFalse();
    assertThat(hasher.matches(null, hasher.hash("x"))).isFalse();
  }
}
