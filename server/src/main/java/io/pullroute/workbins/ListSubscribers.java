package io.pullroute.workbins;

import io.pullroute.admin.CachedAdminRepository;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The subscribers of each list, read from the store once and remembered until the list's
 * subscriptions change ({@link #changed}) or {@link CachedAdminRepository#MAX_AGE} has passed. Not
 * thread-safe: the {@link WorkbinBridge} uses it on its one delivery thread.
 */
final class ListSubscribers {
  private record Read(Set<String> users, long atNanos) {}

  private final Function<String, Set<String>> store;
  private final LongSupplier nanoTime;
  private final Map<String, Read> byList = new HashMap<>();

  ListSubscribers(Function<String, Set<String>> store, LongSupplier nanoTime) {
    this.store = store;
    this.nanoTime = nanoTime;
  }

  /** The users subscribed to {@code listId}. */
  Set<String> of(String listId) {
    long now = nanoTime.getAsLong();
    Read known = byList.get(listId);
    if (known == null || now - known.atNanos() >= CachedAdminRepository.MAX_AGE.toNanos()) {
      known = new Read(store.apply(listId), now);
      byList.put(listId, known);
    }
    return known.users();
  }

  /** A subscription of {@code listId} changed: the next {@link #of} reads it again. */
  void changed(String listId) {
    byList.remove(listId);
  }

  /**
   * Some of {@code userId}'s subscriptions may have ended (none began): the next {@link #of} of
   * each list it was remembered in reads that list again; other lists are kept.
   */
  void mayHaveEnded(String userId) {
    byList.values().removeIf(read -> read.users().contains(userId));
  }

  /** Subscriptions of any list may have changed: the next {@link #of} of each reads it again. */
  void forgetAll() {
    byList.clear();
  }
}
