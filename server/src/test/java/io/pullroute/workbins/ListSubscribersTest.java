package io.pullroute.workbins;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.admin.CachedAdminRepository;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A list's subscribers are read once, and again after a change of the list or after the max age.
 */
class ListSubscribersTest {
  private final Map<String, Set<String>> store = new HashMap<>();
  private final List<String> reads = new ArrayList<>();
  private final AtomicLong nanos = new AtomicLong();
  private final ListSubscribers subscribers =
      new ListSubscribers(
          list -> {
            reads.add(list);
            return store.getOrDefault(list, Set.of());
          },
          nanos::get);

  @Test
  void a_list_is_read_once_and_remembered() {
    store.put("sales", Set.of("ann"));

    assertThat(subscribers.of("sales")).containsExactly("ann");
    store.put("sales", Set.of("ann", "bob"));
    assertThat(subscribers.of("sales")).containsExactly("ann");

    assertThat(reads).containsExactly("sales");
  }

  @Test
  void a_change_of_the_list_makes_the_next_look_up_read_it_again() {
    store.put("sales", Set.of("ann"));
    subscribers.of("sales");
    store.put("sales", Set.of("ann", "bob"));

    subscribers.changed("sales");

    assertThat(subscribers.of("sales")).containsExactlyInAnyOrder("ann", "bob");
    assertThat(reads).containsExactly("sales", "sales");
  }

  @Test
  void a_change_of_another_list_keeps_this_one() {
    store.put("sales", Set.of("ann"));
    subscribers.of("sales");

    subscribers.changed("support");

    subscribers.of("sales");
    assertThat(reads).containsExactly("sales");
  }

  @Test
  void a_change_of_a_users_subscriptions_reads_again_only_the_lists_it_was_subscribed_to() {
    store.put("sales", Set.of("ann", "bob"));
    store.put("support", Set.of("bob"));
    store.put("billing", Set.of("ann"));
    subscribers.of("sales");
    subscribers.of("support");
    subscribers.of("billing");
    store.put("support", Set.of()); // bob's subscription to support ended; to sales, not

    subscribers.mayHaveEnded("bob");

    assertThat(subscribers.of("sales")).containsExactlyInAnyOrder("ann", "bob");
    assertThat(subscribers.of("support")).isEmpty();
    assertThat(subscribers.of("billing")).containsExactly("ann");
    assertThat(reads).containsExactly("sales", "support", "billing", "sales", "support");
  }

  @Test
  void a_list_is_read_again_after_the_max_age() {
    store.put("sales", Set.of("ann"));
    subscribers.of("sales");
    store.put("sales", Set.of());

    nanos.addAndGet(CachedAdminRepository.MAX_AGE.toNanos() - 1);
    assertThat(subscribers.of("sales")).containsExactly("ann");
    nanos.addAndGet(1);
    assertThat(subscribers.of("sales")).isEmpty();
  }
}
