package io.pullroute.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.config.JdbiConfig;

/**
 * Hands the events a transaction appended to this node's hubs once it commits, so that a hub need
 * not read back from the store what its own node just wrote. A Jdbi setting: every handle of the
 * store shares the receivers registered on it ({@link JdbiEventLog#handOverTo}).
 *
 * <p>A receiver hears of a batch twice: when it is appended (its first {@code seq} is then taken,
 * but not yet committed) and when its transaction ends: {@link Receiver#committed} with the events,
 * or {@link Receiver#abandoned} when it rolled back or its handle closed without a commit. So a
 * receiver that sees a gap in the sequence knows whether a transaction of its own node will fill
 * it, or whether the missing events are another node's and must be read from the store.
 */
public final class CommittedEvents implements JdbiConfig<CommittedEvents> {
  /** What hears of this node's appended batches. Called on the appending thread; must not block. */
  public interface Receiver {
    /** A batch starting at {@code firstSeq} was appended; its transaction has not ended. */
    void appending(long firstSeq);

    /** The transaction that appended {@code events} (not empty, in seq order) committed. */
    void committed(List<Event> events);

    /** The transaction that appended the batch starting at {@code firstSeq} did not commit. */
    void abandoned(long firstSeq);
  }

  // Shared by every copy made after the store's setting exists (it does once the first receiver
  // registers): handles opened later hand over to receivers registered later.
  private final List<Receiver> receivers;

  public CommittedEvents() {
    this(new CopyOnWriteArrayList<>());
  }

  private CommittedEvents(List<Receiver> receivers) {
    this.receivers = receivers;
  }

  void add(Receiver receiver) {
    receivers.add(receiver);
  }

  void remove(Receiver receiver) {
    receivers.remove(receiver);
  }

  /**
   * Tells the receivers of {@code handle}'s store about {@code events}, appended in its
   * transaction.
   */
  static void appended(Handle handle, List<Event> events) {
    List<Receiver> receivers = handle.getConfig(CommittedEvents.class).receivers;
    if (events.isEmpty() || receivers.isEmpty()) {
      return;
    }
    long firstSeq = events.getFirst().seq();
    List<Event> handed = List.copyOf(events); // the caller keeps its own list
    List<Receiver> told = List.copyOf(receivers);
    told.forEach(receiver -> receiver.appending(firstSeq));
    // Exactly one of the three ends the batch; the handle's close is the last resort.
    AtomicBoolean ended = new AtomicBoolean();
    handle.afterCommit(
        () -> {
          if (ended.compareAndSet(false, true)) {
            told.forEach(receiver -> receiver.committed(handed));
          }
        });
    Runnable abandon =
        () -> {
          if (ended.compareAndSet(false, true)) {
            told.forEach(receiver -> receiver.abandoned(firstSeq));
          }
        };
    handle.afterRollback(abandon);
    handle.addCleanable(abandon::run);
  }

  @Override
  public CommittedEvents createCopy() {
    return new CommittedEvents(receivers);
  }
}
