package io.pullroute.streaming;

import io.pullroute.events.Event;
import io.pullroute.events.Interest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The hot state of a session on this node: its cursor in the event log, its last poll, its
 * subscriptions and, with acknowledgement, the events delivered but not yet acknowledged (oldest
 * first). Thread-safe: guarded by {@link #lock}.
 */
final class LiveSession {
  /** How many of the last events handed out a session remembers; see {@link #unheard}. */
  static final int HANDED_OUT = 64;

  final StreamingSession session;
  final ReentrantLock lock = new ReentrantLock();

  // guarded by lock
  private long cursor;
  private long rewinds; // how many times the cursor was taken back; see position()
  private Instant lastPoll;
  private boolean dirty;
  private List<Subscription> subscriptions;
  private final LinkedHashMap<String, Event> pending = new LinkedHashMap<>();
  // The seqs of the last HANDED_OUT events handed out, the oldest overwritten first, and the
  // newest; allocated at the first (a session that never hears anything costs nothing).
  private long[] handedOut;
  private int handedOutNext;
  private long handedOutMax = Long.MIN_VALUE;

  /** The interest last built for a poll, and the keys and subscriptions it was built from. */
  private record Built(Set<String> base, List<Subscription> subscriptions, Interest interest) {}

  private volatile Built built;

  // When this node last read from the store what another node may change (see checkDue); the
  // cursor then and what the user heard then (both guarded by lock).
  private volatile Instant checked;
  private long cursorAtCheck;
  private Set<String> baseAtCheck = Set.of();

  LiveSession(
      StreamingSession session,
      long cursor,
      Instant lastPoll,
      List<Subscription> subscriptions,
      List<Event> pending) {
    this.session = session;
    this.cursor = cursor;
    this.lastPoll = lastPoll;
    this.subscriptions = List.copyOf(subscriptions);
    this.checked = lastPoll;
    this.cursorAtCheck = cursor;
    for (Event event : pending) {
      this.pending.put(event.id(), event);
    }
  }

  String id() {
    return session.id();
  }

  long cursor() {
    lock.lock();
    try {
      return cursor;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Where a poll starts: the cursor, and how many times it was taken back before. A poll answered
   * after another rewind does not move the cursor (see {@link #advance}).
   */
  record Position(long cursor, long rewinds) {}

  Position position() {
    lock.lock();
    try {
      return new Position(cursor, rewinds);
    } finally {
      lock.unlock();
    }
  }

  Instant lastPoll() {
    lock.lock();
    try {
      return lastPoll;
    } finally {
      lock.unlock();
    }
  }

  void touch(Instant now) {
    lock.lock();
    try {
      if (now.isAfter(lastPoll)) {
        lastPoll = now;
        dirty = true;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a later last poll that another node wrote to the store: this node's copy would expire a
   * session that is polled elsewhere. Nothing to write back.
   */
  void polledElsewhere(Instant stored) {
    lock.lock();
    try {
      if (stored.isAfter(lastPoll)) {
        lastPoll = stored;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records that a poll that started {@code from} hands out {@code events} and looked through the
   * log up to {@code to}. Moves the cursor forward to {@code to}: never back (a superseded poll may
   * answer late), and not at all when the cursor was taken back since the poll started (it matched
   * events against what the session no longer hears alone, and passed over the others).
   */
  void advance(Position from, long to, List<Event> events) {
    lock.lock();
    try {
      for (Event event : events) {
        if (handedOut == null) {
          handedOut = new long[HANDED_OUT];
          java.util.Arrays.fill(handedOut, Long.MIN_VALUE);
        }
        handedOut[handedOutNext] = event.seq();
        handedOutNext = (handedOutNext + 1) % HANDED_OUT;
        handedOutMax = Math.max(handedOutMax, event.seq());
      }
      if (from.rewinds() == rewinds && to > cursor) {
        cursor = to;
        dirty = true;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@code events} (read after a rewind, see {@link #rewindTo}) without those among the last {@link
   * #HANDED_OUT} handed out: what a rewind reads again that the session heard before comes only
   * once. Older ones this session no longer remembers come again (at least once).
   */
  List<Event> unheard(List<Event> events) {
    lock.lock();
    try {
      if (events.isEmpty() || handedOut == null || events.getFirst().seq() > handedOutMax) {
        return events;
      }
      List<Event> unheard = new ArrayList<>(events.size());
      for (Event event : events) {
        if (event.seq() > handedOutMax || !handedOut(event.seq())) {
          unheard.add(event);
        }
      }
      return unheard;
    } finally {
      lock.unlock();
    }
  }

  private boolean handedOut(long seq) {
    for (long known : handedOut) {
      if (known == seq) {
        return true;
      }
    }
    return false;
  }

  /** Whether the cursor was taken back since a poll started {@code from}. */
  boolean rewoundSince(Position from) {
    lock.lock();
    try {
      return rewinds != from.rewinds();
    } finally {
      lock.unlock();
    }
  }

  /** The oldest unacknowledged events, at most {@code max}. */
  List<Event> pending(int max) {
    lock.lock();
    try {
      List<Event> oldest = new ArrayList<>(Math.min(max, pending.size()));
      for (Event event : pending.values()) {
        if (oldest.size() == max) {
          break;
        }
        oldest.add(event);
      }
      return oldest;
    } finally {
      lock.unlock();
    }
  }

  void addPending(List<Event> events) {
    lock.lock();
    try {
      for (Event event : events) {
        pending.put(event.id(), event);
      }
    } finally {
      lock.unlock();
    }
  }

  void removePending(java.util.Collection<String> eventIds) {
    lock.lock();
    try {
      eventIds.forEach(pending::remove);
    } finally {
      lock.unlock();
    }
  }

  List<Subscription> subscriptions() {
    lock.lock();
    try {
      return subscriptions;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The interest of a poll with the user's {@code base} keys and these {@code subscriptions}: the
   * one built for the last poll while both are the same objects (the cached keys, the stored list),
   * else a new one from {@code build}. An interest is immutable; building one per poll was work on
   * the long poll's path.
   */
  Interest interest(Set<String> base, List<Subscription> subscriptions, Supplier<Interest> build) {
    Built known = built;
    if (known != null && known.base() == base && known.subscriptions() == subscriptions) {
      return known.interest();
    }
    Interest fresh = build.get();
    built = new Built(base, subscriptions, fresh);
    return fresh;
  }

  void subscriptions(List<Subscription> changed) {
    lock.lock();
    try {
      subscriptions = List.copyOf(changed);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether {@code every} (zero: never) has passed since this node last read from the store what
   * another node may have changed: the session's existence and its subscriptions.
   */
  boolean checkDue(Instant now, java.time.Duration every) {
    return !every.isZero() && !now.isBefore(checked.plus(every));
  }

  /**
   * Records a check of the store at {@code now}: the cursor before it read anything, and the keys
   * its user was found to hear without subscriptions.
   */
  void checked(Instant now, long cursorBefore, Set<String> base) {
    lock.lock();
    try {
      checked = now;
      cursorAtCheck = cursorBefore;
      baseAtCheck = base;
    } finally {
      lock.unlock();
    }
  }

  /** What the user heard without subscriptions at the last check. */
  Set<String> baseAtCheck() {
    lock.lock();
    try {
      return baseAtCheck;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes the cursor back to where it was at the last check: the events since then were matched
   * against subscriptions or keys that another node has changed meanwhile.
   */
  void rewindToLastCheck() {
    lock.lock();
    try {
      rewindTo(cursorAtCheck);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes the cursor back to {@code mark} (if it is past it), the log's head before a change of
   * what the session hears committed: the events since then were matched against what it heard
   * before, and the next poll reads them again with what it hears now ({@link #unheard} drops those
   * handed out already). Polls that started before do not move the cursor; end them.
   */
  void rewindTo(long mark) {
    lock.lock();
    try {
      rewinds++;
      if (mark < cursor) {
        cursor = mark;
        dirty = true;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the progress to write, if any changed since the last call. */
  StreamingRepository.Progress takeProgress() {
    lock.lock();
    try {
      if (!dirty) {
        return null;
      }
      dirty = false;
      return new StreamingRepository.Progress(cursor, lastPoll);
    } finally {
      lock.unlock();
    }
  }
}
