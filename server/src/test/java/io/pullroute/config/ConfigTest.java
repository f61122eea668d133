package io.pullroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void durations_read_as_people_write_them() {
    assertThat(Config.parseDuration("15s")).isEqualTo(Duration.ofSeconds(15));
    assertThat(Config.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Config.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Config.parseDuration("30")).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> Config.parseDuration("soon"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("soon");
  }

  @Test
  void out_of_range_values_are_refused_with_the_flag_named() {
    Config defaults = Config.embedded(Path.of("data"));
    assertThatThrownBy(
            () ->
                new Config(
                    "127.0.0.1",
                    70000,
                    Path.of("d"),
                    null,
                    null,
                    null,
                    Duration.ofSeconds(1),
                    null,
                    false,
                    10,
                    Config.StreamingLimits.DEFAULT))
        .hasMessageContaining("--port");
    assertThatThrownBy(() -> defaults.withRateLimit(0)).hasMessageContaining("--rate-limit");
    assertThatThrownBy(
            () ->
                new Config(
                    "127.0.0.1",
                    0,
                    Path.of("d"),
                    null,
                    null,
                    null,
                    Duration.ZERO,
                    null,
                    false,
                    10,
                    Config.StreamingLimits.DEFAULT))
        .hasMessageContaining("--poll-wait");
  }
}
