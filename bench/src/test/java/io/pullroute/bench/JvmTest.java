package io.pullroute.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JVMs the workloads start: the logs of their standard error, and the memory workload's reading
 * of a server's live heap from jcmd's class histogram.
 */
class JvmTest {
  private static final Pattern READY = Pattern.compile("^ready on (http://\\S+)$");

  @Test
  void a_jvm_that_wrote_nothing_to_standard_error_leaves_no_log_behind() throws Exception {
    Path log;
    try (Jvm jvm = Jvm.start("64m", ReadyMain.class.getName(), List.of(), READY)) {
      log = jvm.log();
      assertThat(jvm.url()).isEqualTo("http://127.0.0.1:9");
      assertThat(log).exists();
    }
    assertThat(log).doesNotExist();
  }

  @Test
  void a_jvm_that_wrote_to_standard_error_keeps_its_log() throws Exception {
    Path log;
    try (Jvm jvm =
        Jvm.start("64m", ReadyMain.class.getName(), List.of("something went wrong"), READY)) {
      log = jvm.log();
    }
    try {
      assertThat(log).content().contains("something went wrong");
    } finally {
      Files.deleteIfExists(log);
    }
  }

  @Test
  void live_heap_is_the_histograms_total_less_the_collectors_filler_arrays() {
    String histogram =
        """
        10630:
         num     #instances         #bytes  class name (module)
        -------------------------------------------------------
           1:        270487       27502848  [B (java.base@25.0.3)
           2:        248248        5957952  java.lang.String (java.base@25.0.3)
           3:         13244        5274936  [Ljdk.internal.vm.FillerElement; (java.base@25.0.3)
           4:             2             48  jdk.internal.vm.FillerObject (java.base@25.0.3)
           5:         10001        1680168  org.eclipse.jetty.http.HttpParser
        Total       2401509      107631904
        """;

    assertThat(Jvm.liveBytes(histogram)).isEqualTo(107_631_904L - 5_274_936L - 48L);
  }

  @Test
  void an_answer_without_a_histogram_is_an_error_not_a_zero() {
    assertThatThrownBy(() -> Jvm.liveBytes("10630:\nCommand not found\n"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no class histogram");
  }
}
