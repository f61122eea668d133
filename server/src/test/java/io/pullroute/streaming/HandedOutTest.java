package io.pullroute.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class HandedOutTest {
  @Test
  void remembers_seqs_handed_out_in_any_order_once() {
    HandedOut handedOut = new HandedOut();
    long[] seqs = {10, 30, 20, 40, 5, 30, 35};
    for (long seq : seqs) {
      handedOut.add(seq);
    }

    assertThat(LongStream.of(5, 10, 20, 30, 35, 40)).allMatch(handedOut::contains);
    assertThat(LongStream.of(4, 6, 25, 41)).noneMatch(handedOut::contains);
    assertThat(handedOut.size()).isEqualTo(6);
    assertThat(handedOut.max()).isEqualTo(40);
  }

  @Test
  void forgets_up_to_the_floor_all_but_the_highest_kept() {
    HandedOut handedOut = new HandedOut();
    LongStream.rangeClosed(1, 1_000).forEach(handedOut::add);

    handedOut.forgetUpTo(500);
    assertThat(handedOut.contains(501)).as("above the floor").isTrue();
    assertThat(handedOut.contains(500)).as("at the floor").isFalse();
    assertThat(handedOut.size()).isEqualTo(500);

    handedOut.forgetUpTo(990);
    assertThat(handedOut.size()).as("the highest kept").isEqualTo(HandedOut.KEPT);
    assertThat(handedOut.contains(1_000 - HandedOut.KEPT + 1)).isTrue();
    assertThat(handedOut.contains(1_000 - HandedOut.KEPT)).isFalse();
  }

  @Test
  void goes_on_remembering_after_forgetting_makes_room() {
    HandedOut handedOut = new HandedOut();
    for (long seq = 1; seq <= 10_000; seq++) {
      handedOut.add(seq);
      if (seq % 7 == 0) {
        handedOut.add(seq - 3); // handed out before: not twice
      }
      handedOut.forgetUpTo(seq - 100);
    }
    handedOut.add(9_950); // handed out before
    handedOut.add(9_899); // below the floor: inserted all the same

    assertThat(handedOut.size()).isEqualTo(101);
    assertThat(LongStream.rangeClosed(9_901, 10_000)).allMatch(handedOut::contains);
    assertThat(handedOut.contains(9_899)).isTrue();
    assertThat(handedOut.contains(9_900)).isFalse();
  }
}
