package io.pullroute.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node event hub. One thread tails the log in commit order into a ring buffer of recent
 * events; consumers ask for "events for this interest after cursor X, waiting up to T". A waiting
 * consumer is a registered future, indexed by audience key, not a thread: an event completes only
 * the futures whose keys it carries.
 *
 * <p>What this node's transactions append is handed to the tailer as they commit ({@link
 * CommittedEvents}), and published from there when it is next in sequence. The tailer reads the
 * store only for the rest: when the next events are not this node's (another node committed them)
 * or when asked to ({@link #poke}), and at least every {@link #IDLE_POLL}.
 *
 * <p>Thread-safe. The ring, the index and the waiters are guarded by one lock; decisions are made
 * under it and futures are completed after releasing it. Whoever retires a waiter under the lock
 * (an event, its timeout, a newer poll of the same owner, closing) is the one that completes it.
 */
public final class EventHub implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventHub.class);
  private static final int FETCH = 512;

  /** How often the log is read without a wake-up: catches other nodes' commits. */
  private static final Duration IDLE_POLL = Duration.ofMillis(200);

  private final EventLog log;
  private final Event[] ring;
  private final ReentrantLock lock = new ReentrantLock();

  /** Set to wake the tailer, taken by it; not under the lock, which every poll takes. */
  private final AtomicBoolean wakePending = new AtomicBoolean();

  /** Set by {@link #poke}: the tailer reads the log when it next wakes. */
  private final AtomicBoolean readLogAsked = new AtomicBoolean();

  /** Batches this node committed, handed over and not yet taken by the tailer. */
  private final ConcurrentLinkedQueue<List<Event>> handedOver = new ConcurrentLinkedQueue<>();

  /**
   * First seqs of batches this node appended whose transactions have not ended, with how many (a
   * batch that rolled back leaves its seqs to the next one).
   */
  private final ConcurrentHashMap<Long, Integer> appending = new ConcurrentHashMap<>();

  private final CommittedEvents.Receiver receiver =
      new CommittedEvents.Receiver() {
        @Override
        public void appending(long firstSeq) {
          appending.merge(firstSeq, 1, Integer::sum);
        }

        @Override
        public void committed(List<Event> events) {
          handedOver.add(events); // before it stops counting as appending: never neither
          ended(events.getFirst().seq());
        }

        @Override
        public void abandoned(long firstSeq) {
          ended(firstSeq);
        }

        private void ended(long firstSeq) {
          appending.computeIfPresent(firstSeq, (seq, count) -> count == 1 ? null : count - 1);
          wake();
        }
      };

  // Only the tailer thread uses these two.
  private final TreeMap<Long, List<Event>> pending = new TreeMap<>();
  private long lastLogRead = System.nanoTime();

  private final Map<String, Set<Waiter>> waitersByKey = new HashMap<>();
  private final Map<String, Waiter> waitersByOwner = new HashMap<>();
  private final ScheduledExecutorService timeouts;
  private final Thread tailer;
  private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();

  // written under lock; oldestSeq and closed are also read without it
  private long headSeq;
  private volatile long oldestSeq;
  private volatile boolean closed;
  private int waiterCount;

  public EventHub(EventLog log, int capacity) {
    this(log, capacity, timer());
  }

  /** With the given timer for parked calls' timeouts (tests); the hub shuts it down on close. */
  EventHub(EventLog log, int capacity, ScheduledExecutorService timeouts) {
    this.log = log;
    this.ring = new Event[capacity];
    this.headSeq = log.lastSeq();
    int preload = Math.min(capacity, 4096);
    List<Event> recent = log.after(Math.max(0, headSeq - preload), preload);
    this.oldestSeq = recent.isEmpty() ? headSeq + 1 : recent.getFirst().seq();
    for (Event event : recent) {
      ring[(int) (event.seq() % capacity)] = event;
    }
    this.timeouts = timeouts;
    this.tailer = new Thread(this::tail, "pullroute-hub-tailer");
    tailer.setDaemon(true);
    // A batch committed before this reads as a gap, and is read from the log.
    log.handOverTo(receiver);
    tailer.start();
  }

  private static ScheduledExecutorService timer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("pullroute-hub-timeouts").daemon().factory());
    // A poll answered by an event cancels its timeout; drop it instead of keeping it queued.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /** The newest {@code seq} the hub has seen; a new consumer starts after it. */
  public long headSeq() {
    lock.lock();
    try {
      return headSeq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Hands every batch of newly committed events, in commit order, to {@code listener} (on the
   * tailer thread: a listener must not block; the CometD bridge hands them to a thread of its own).
   */
  public void addListener(Consumer<List<Event>> listener) {
    listeners.add(listener);
  }

  /**
   * Tells the tailer to read the log: something was committed that was not handed over. Commits
   * through {@link JdbiEventLog#append} need not call it.
   */
  public void poke() {
    readLogAsked.set(true);
    wake();
  }

  private void wake() {
    wakePending.set(true);
    LockSupport.unpark(tailer);
  }

  /** The events for {@code interest} after {@code cursor}, at most {@code max}, without waiting. */
  public EventBatch read(Interest interest, long cursor, int max) {
    lock.lock();
    try {
      if (cursor + 1 >= oldestSeq) {
        return scan(interest, cursor, max);
      }
    } finally {
      lock.unlock();
    }
    return readFromLog(interest, cursor, max);
  }

  /**
   * The events for {@code interest} after {@code cursor}: at once when there are some, else as soon
   * as one is committed, else an empty batch after {@code wait}. A later call with the same {@code
   * owner} (a session id) ends a waiting one with an empty batch, so a client never has two polls
   * racing for the same events.
   */
  public CompletableFuture<EventBatch> await(
      Interest interest, long cursor, int max, Duration wait, String owner) {
    // Behind the ring (rare): the log first, without the lock.
    EventBatch fromLog = cursor + 1 < oldestSeq ? readFromLog(interest, cursor, max) : null;
    long from = fromLog == null ? cursor : Math.max(cursor, fromLog.cursor());
    Waiter waiter = new Waiter(interest, owner, max);
    Waiter superseded = null;
    EventBatch ready;
    boolean behind = false;
    // One pass under the lock: what is in the ring now, else register. Events added after this
    // look are offered to the registered waiter by publish(), so none slips in between.
    lock.lock();
    try {
      if (owner != null) {
        superseded = waitersByOwner.get(owner);
        if (superseded != null) {
          retire(superseded);
        }
      }
      if (fromLog != null && !fromLog.isEmpty()) {
        ready = fromLog;
      } else if (from + 1 < oldestSeq) {
        // So many were added meanwhile that the ring no longer holds them: the log again.
        behind = true;
        ready = null;
      } else {
        EventBatch found = scan(interest, from, max);
        if (found.isEmpty() && !closed) {
          waiter.cursor = found.cursor();
          register(waiter);
          ready = null;
        } else {
          ready = found;
        }
      }
    } finally {
      lock.unlock();
    }
    if (behind) {
      ready = readFromLog(interest, from, max);
    }
    if (superseded != null) {
      superseded.finish(new EventBatch(List.of(), superseded.cursor));
    }
    if (ready != null) {
      return CompletableFuture.completedFuture(ready);
    }
    try {
      waiter.timeout =
          timeouts.schedule(() -> expire(waiter), wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closedMeanwhile) {
      // The hub closed since the waiter registered: the close ended it, as every registered one.
    }
    return waiter.future;
  }

  /** Ends the waiting call of {@code owner}, if any, with an empty batch. */
  public void supersede(String owner) {
    Waiter superseded;
    lock.lock();
    try {
      superseded = waitersByOwner.get(owner);
      if (superseded != null) {
        retire(superseded);
      }
    } finally {
      lock.unlock();
    }
    if (superseded != null) {
      superseded.finish(new EventBatch(List.of(), superseded.cursor));
    }
  }

  /** How many consumers are waiting; for metrics and tests. */
  public int waiting() {
    lock.lock();
    try {
      return waiterCount;
    } finally {
      lock.unlock();
    }
  }

  private void expire(Waiter waiter) {
    long cursor;
    lock.lock();
    try {
      if (waiter.done) {
        return; // completed by an event or superseded meanwhile
      }
      retire(waiter);
      // Every event up to the head was offered to this waiter and did not concern it.
      cursor = Math.max(waiter.cursor, headSeq);
    } finally {
      lock.unlock();
    }
    waiter.future.complete(new EventBatch(List.of(), cursor));
  }

  // ---- tailing

  private void tail() {
    while (true) {
      if (!wakePending.getAndSet(false) && !closed) {
        // A wake-up during the park ends it; one just after is seen by the next turn.
        LockSupport.parkNanos(this, IDLE_POLL.toNanos());
        wakePending.set(false);
      }
      if (closed || Thread.currentThread().isInterrupted()) {
        return;
      }
      try {
        for (List<Event> batch; (batch = handedOver.poll()) != null; ) {
          pending.merge(batch.getFirst().seq(), batch, (one, other) -> other);
        }
        publishHandedOver();
        if (readLogAsked.getAndSet(false)
            || System.nanoTime() - lastLogRead >= IDLE_POLL.toNanos()
            || (!pending.isEmpty() && !appending.containsKey(headSeq() + 1))) {
          readLog();
          publishHandedOver();
        }
      } catch (RuntimeException e) {
        if (!isClosed()) {
          LOG.warn("reading the event log failed; retrying", e);
        }
      }
    }
  }

  /** Publishes the handed-over batches that come next in sequence; drops those already seen. */
  private void publishHandedOver() {
    while (!pending.isEmpty()) {
      List<Event> batch = pending.firstEntry().getValue();
      long head = headSeq();
      if (batch.getFirst().seq() > head + 1) {
        return; // a gap: another batch comes first
      }
      pending.pollFirstEntry();
      if (batch.getLast().seq() > head) {
        deliver(batch.subList((int) (head + 1 - batch.getFirst().seq()), batch.size()));
      }
    }
  }

  /** Reads what the log holds after the head. */
  private void readLog() {
    lastLogRead = System.nanoTime();
    List<Event> events;
    do {
      events = log.after(headSeq(), FETCH);
      deliver(events);
    } while (events.size() == FETCH);
  }

  /** Publishes events that follow the head, and hands them to the listeners. */
  private void deliver(List<Event> events) {
    publish(events);
    if (!events.isEmpty()) {
      for (Consumer<List<Event>> listener : listeners) {
        listener.accept(events);
      }
    }
  }

  private boolean isClosed() {
    return closed;
  }

  /** Adds committed events to the ring and completes the waiters they concern. */
  void publish(List<Event> events) {
    if (events.isEmpty()) {
      return;
    }
    List<Map.Entry<Waiter, EventBatch>> ready = new ArrayList<>();
    List<Waiter> behind = new ArrayList<>();
    lock.lock();
    try {
      Set<Waiter> candidates = new LinkedHashSet<>();
      for (Event event : events) {
        if (event.seq() <= headSeq) {
          continue;
        }
        if (event.seq() != headSeq + 1) {
          throw new IllegalStateException(
              "event log gap after " + headSeq + ": " + event.seq() + "; this indicates a bug");
        }
        ring[(int) (event.seq() % ring.length)] = event;
        headSeq = event.seq();
        oldestSeq = Math.max(oldestSeq, headSeq - ring.length + 1);
        for (String key : event.audience()) {
          candidates.addAll(waitersByKey.getOrDefault(key, Set.of()));
        }
        candidates.addAll(
            waitersByKey.getOrDefault(Audience.organization(event.orgId()), Set.of()));
        candidates.addAll(
            waitersByKey.getOrDefault(
                Audience.resource(event.resourceType(), event.resourceId()), Set.of()));
      }
      for (Waiter waiter : candidates) {
        if (waiter.cursor + 1 < oldestSeq) {
          // More events arrived at once than the ring holds: this waiter is answered from the log.
          retire(waiter);
          behind.add(waiter);
          continue;
        }
        EventBatch batch = scan(waiter.interest, waiter.cursor, waiter.max);
        if (batch.isEmpty()) {
          waiter.cursor = batch.cursor();
          continue;
        }
        retire(waiter);
        ready.add(Map.entry(waiter, batch));
      }
    } finally {
      lock.unlock();
    }
    for (Map.Entry<Waiter, EventBatch> entry : ready) {
      entry.getKey().finish(entry.getValue());
    }
    for (Waiter waiter : behind) {
      waiter.finish(readFromLog(waiter.interest, waiter.cursor, waiter.max));
    }
  }

  // ---- under the lock

  /** Looks through the ring; the caller makes sure the ring still holds what follows cursor. */
  private EventBatch scan(Interest interest, long cursor, int max) {
    if (cursor + 1 < oldestSeq) {
      throw new IllegalStateException("scan behind the ring; this indicates a bug");
    }
    List<Event> found = new ArrayList<>();
    long seq = cursor;
    while (seq < headSeq && found.size() < max) {
      seq++;
      Event event = ring[(int) (seq % ring.length)];
      if (event != null && interest.matches(event)) {
        found.add(event);
      }
    }
    return new EventBatch(found, Math.max(cursor, seq));
  }

  private void register(Waiter waiter) {
    waiterCount++;
    if (waiter.owner != null) {
      waitersByOwner.put(waiter.owner, waiter);
    }
    for (String key : waiter.interest.keys()) {
      waitersByKey.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(waiter);
    }
  }

  /** Takes a waiter out of every index; whoever retires it completes its future. */
  private void retire(Waiter waiter) {
    if (waiter.done) {
      return;
    }
    waiter.done = true;
    waiterCount--;
    if (waiter.owner != null && waitersByOwner.get(waiter.owner) == waiter) {
      waitersByOwner.remove(waiter.owner);
    }
    for (String key : waiter.interest.keys()) {
      Set<Waiter> waiters = waitersByKey.get(key);
      if (waiters != null && waiters.remove(waiter) && waiters.isEmpty()) {
        waitersByKey.remove(key);
      }
    }
  }

  // ---- outside the lock

  private EventBatch readFromLog(Interest interest, long cursor, int max) {
    List<Event> found = new ArrayList<>();
    long position = cursor;
    while (found.size() < max) {
      List<Event> page = log.after(position, FETCH);
      for (Event event : page) {
        position = event.seq();
        if (interest.matches(event)) {
          found.add(event);
          if (found.size() == max) {
            break;
          }
        }
      }
      if (page.size() < FETCH) {
        break;
      }
    }
    return new EventBatch(found, position);
  }

  @Override
  public void close() {
    List<Waiter> all = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      log.stopHandingOverTo(receiver);
      LockSupport.unpark(tailer);
      Set<Waiter> registered = new LinkedHashSet<>(waitersByOwner.values());
      waitersByKey.values().forEach(registered::addAll);
      for (Waiter waiter : registered) {
        retire(waiter);
        all.add(waiter);
      }
    } finally {
      lock.unlock();
    }
    timeouts.shutdownNow();
    for (Waiter waiter : all) {
      waiter.finish(new EventBatch(List.of(), waiter.cursor));
    }
    try {
      tailer.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A consumer waiting for events. */
  private static final class Waiter {
    private final Interest interest;
    private final String owner;
    private final int max;
    private final CompletableFuture<EventBatch> future = new CompletableFuture<>();
    private volatile ScheduledFuture<?> timeout;
    private long cursor; // guarded by the hub's lock
    private boolean done; // guarded by the hub's lock

    private Waiter(Interest interest, String owner, int max) {
      this.interest = interest;
      this.owner = owner;
      this.max = max;
    }

    private void finish(EventBatch batch) {
      ScheduledFuture<?> scheduled = timeout;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
      future.complete(batch);
    }
  }
}
