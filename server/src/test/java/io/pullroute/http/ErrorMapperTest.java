package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLTransientConnectionException;
import org.jdbi.v3.core.ConnectionException;
import org.junit.jupiter.api.Test;

/** Failures that are not the caller's: an overloaded store is a 503 to retry, anything else 500. */
class ErrorMapperTest {

  @Test
  void no_free_store_connection_is_a_503_with_retry_after() {
    ErrorMapper.Answer answer =
        ErrorMapper.describe(
            new ConnectionException(
                new SQLTransientConnectionException("Connection is not available")));
    assertThat(answer.status()).isEqualTo(503);
    assertThat(answer.headers()).containsEntry("Retry-After", "1");
    ErrorResponse body = (ErrorResponse) answer.body();
    assertThat(body.code()).isEqualTo(503);
    assertThat(body.errors().getFirst().reason()).isEqualTo("unavailable");
  }

  @Test
  void an_unknown_failure_is_a_500_without_details() {
    ErrorMapper.Answer answer = ErrorMapper.describe(new IllegalStateException("secret detail"));
    assertThat(answer.status()).isEqualTo(500);
    assertThat(((ErrorResponse) answer.body()).message()).doesNotContain("secret");
  }
}
