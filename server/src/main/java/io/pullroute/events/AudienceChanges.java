package io.pullroute.events;

import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;

/**
 * Listens to changes of who hears what (a subscription, a join, an agent group's members …): a
 * change takes a {@link #mark} before it commits and tells it to {@link #changed} after, with what
 * changed (a user id or an organization id, as its source says). Every event the change makes
 * someone hear comes after the mark, so a listener knows from where to read again.
 */
public interface AudienceChanges {
  AudienceChanges NONE = of(() -> 0, (changed, mark) -> {});

  /** Taken before a change commits. */
  long mark();

  /** After the change committed; {@code mark} is the one taken before. */
  void changed(String changed, long mark);

  static AudienceChanges of(LongSupplier mark, ObjLongConsumer<String> changed) {
    return new AudienceChanges() {
      @Override
      public long mark() {
        return mark.getAsLong();
      }

      @Override
      public void changed(String who, long mark) {
        changed.accept(who, mark);
      }
    };
  }
}
