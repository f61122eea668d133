package io.pullroute.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pullroute.common.PullrouteException.Unauthenticated;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A user token is checked against its user as it is now (TokenEndpointTest shows it over HTTP);
 * when the store cannot answer, the token's signature and expiry stand alone.
 */
class UserCheckTest {
  private final TokenService tokens = new TokenService(key(), InstantSource.system());
  private final AuthService auth = new AuthService(null, tokens, new PasswordHasher());
  private final String token =
      tokens.issue(
          new Principal(
              Principal.Kind.USER,
              "org",
              "u1",
              "alice",
              Set.of("agent"),
              Set.of("agent", "streamingapi")));

  private static byte[] key() {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    return key;
  }

  @Test
  void a_token_of_a_user_that_no_longer_exists_is_refused() {
    auth.checkUsersAgainst((orgId, userId) -> Optional.empty());
    assertThatThrownBy(() -> auth.authenticate("Bearer " + token))
        .isInstanceOf(Unauthenticated.class)
        .hasMessageContaining("no longer exists");
  }

  @Test
  void a_token_is_accepted_on_its_signature_while_the_store_cannot_say() {
    auth.checkUsersAgainst(
        (orgId, userId) -> {
          throw new IllegalStateException("the store is down");
        });
    assertThat(auth.authenticate("Bearer " + token).subject()).isEqualTo("u1");
  }
}
