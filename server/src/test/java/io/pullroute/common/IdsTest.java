package io.pullroute.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdsTest {
  @Test
  void an_id_is_24_lowercase_hex_digits_and_every_digit_occurs_in_every_place() {
    Set<String> ids = new HashSet<>();
    // Each of the 24 places, over 2,000 ids, shows each of the 16 digits: no half is left fixed or
    // cut short.
    boolean[][] seen = new boolean[24][16];
    for (int i = 0; i < 2_000; i++) {
      String id = Ids.newId();
      assertThat(id).matches("[0-9a-f]{24}");
      ids.add(id);
      for (int place = 0; place < 24; place++) {
        seen[place][Character.digit(id.charAt(place), 16)] = true;
      }
    }
    assertThat(ids).hasSize(2_000);
    for (int place = 0; place < 24; place++) {
      for (int digit = 0; digit < 16; digit++) {
        assertThat(seen[place][digit]).as("digit %x at %d", digit, place).isTrue();
      }
    }
  }
}
