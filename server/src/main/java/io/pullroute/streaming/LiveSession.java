package io.pullroute.streaming;

import io.pullroute.events.Event;
import io.pullroute.events.Interest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The hot state of a session on this node: its cursor in the event log, its last poll, its
 * subscriptions and, with acknowledgement, the events delivered but not yet acknowledged (oldest
 * first). Thread-safe: guarded by {@link #lock}.
 */
final class LiveSession {
  /** How many of the last rewinds' marks a session remembers; see {@link #cursorAfter}. */
  private static final int MARKS = 8;

  final StreamingSession session;
  final ReentrantLock lock = new ReentrantLock();

  // guarded by lock
  private long cursor;
  private long rewinds; // how many times the cursor was taken back; see position()
  private Instant lastPoll;
  private boolean dirty;
  private boolean back; // the cursor was taken back since the last progress was taken
  private List<Subscription> subscriptions;
  private final TreeMap<Long, Event> pending = new TreeMap<>(); // by seq
  // The seqs handed out above the floor (see floor()), and the last few below it; allocated at
  // the first (a session that never hears anything costs nothing).
  private HandedOut handedOut;
  // The mark of rewind n at marks[n % MARKS].
  private final long[] marks = new long[MARKS];

  /** The interest last built for a poll, and the keys and subscriptions it was built from. */
  private record Built(Set<String> base, List<Subscription> subscriptions, Interest interest) {}

  private volatile Built built;

  // When this node last read from the store what another node may change (see checkDue); the
  // cursor then (MAX_VALUE: never read, as on the embedded store) and what the user heard then
  // (both guarded by lock).
  private volatile Instant checked;
  private long cursorAtCheck = Long.MAX_VALUE;
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
    for (Event event : pending) {
      this.pending.put(event.seq(), event);
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
   * after another rewind moves the cursor no further than that rewind's mark (see {@link
   * #cursorAfter}).
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
   * log up to {@code to}, and moves the cursor forward to where that poll may take it (see {@link
   * #cursorAfter}).
   */
  void advance(Position from, long to, List<Event> events) {
    lock.lock();
    try {
      long target = cursorAfter(from, to);
      if (target > cursor) {
        cursor = target;
        dirty = true;
      }
      for (Event event : events) {
        if (handedOut == null) {
          handedOut = new HandedOut();
        }
        handedOut.add(event.seq());
      }
      forgetHandedOut();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Where a poll that started {@code from} and looked through the log up to {@code to} may take the
   * cursor: there, when the cursor was not taken back since the poll started (never back: a
   * superseded poll may answer late). After rewinds, no further than the lowest of their marks: the
   * poll matched the events up to a mark with what the session heard then, rightly, and those after
   * it with what it no longer hears alone. Nowhere when the cursor went back behind where the poll
   * started, or after more rewinds than the session remembers.
   */
  long cursorAfter(Position from, long to) {
    lock.lock();
    try {
      if (from.rewinds() == rewinds) {
        return Math.max(cursor, to);
      }
      if (rewinds - from.rewinds() > MARKS || from.cursor() > cursor) {
        return cursor;
      }
      long target = to;
      for (long n = from.rewinds() + 1; n <= rewinds; n++) {
        target = Math.min(target, marks[(int) (n % MARKS)]);
      }
      return Math.max(cursor, target);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The lowest seq after which a rewind may read again: the cursor, or the cursor at the last check
   * of the store if lower (a check takes the cursor back there, see {@link #rewindToLastCheck}).
   * The session remembers every event it handed out after it.
   */
  private long floor() {
    return Math.min(cursor, cursorAtCheck);
  }

  private void forgetHandedOut() {
    if (handedOut != null) {
      handedOut.forgetUpTo(floor());
    }
  }

  /**
   * {@code events} (read after a rewind, see {@link #rewindTo}) without those handed out before:
   * all those after the floor (see {@link #floor}), and the last {@link HandedOut#KEPT} before it.
   * What a rewind reads again that the session heard before comes only once, but for a rewind to a
   * mark older than the floor and those kept (a change whose commit took longer than the polls of
   * more than {@link HandedOut#KEPT} events): those come again (at least once).
   */
  List<Event> unheard(List<Event> events) {
    lock.lock();
    try {
      if (events.isEmpty() || handedOut == null || events.getFirst().seq() > handedOut.max()) {
        return events;
      }
      List<Event> unheard = new ArrayList<>(events.size());
      for (Event event : events) {
        if (!handedOut.contains(event.seq())) {
          unheard.add(event);
        }
      }
      return unheard;
    } finally {
      lock.unlock();
    }
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
        pending.put(event.seq(), event);
      }
    } finally {
      lock.unlock();
    }
  }

  void removePending(java.util.Collection<String> eventIds) {
    lock.lock();
    try {
      Set<String> removed = new HashSet<>(eventIds);
      pending.values().removeIf(event -> removed.contains(event.id()));
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
      forgetHandedOut();
    } finally {
      lock.unlock();
    }
  }

  /** When this node last read the store for this session (see {@link #checkDue}). */
  Instant checkedAt() {
    return checked;
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
   * handed out already). Polls that started before move the cursor no further than the mark (see
   * {@link #cursorAfter}); end them.
   */
  void rewindTo(long mark) {
    lock.lock();
    try {
      rewinds++;
      marks[(int) (rewinds % MARKS)] = mark;
      if (mark < cursor) {
        cursor = mark;
        dirty = true;
        back = true;
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
      StreamingRepository.Progress progress =
          new StreamingRepository.Progress(cursor, lastPoll, back);
      back = false;
      return progress;
    } finally {
      lock.unlock();
    }
  }
}
