package io.pullroute.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The memory workload's reading of a server's live heap from jcmd's class histogram. */
class JvmTest {
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
