package io.pullroute.streaming;

import io.pullroute.auth.Principal;
import io.pullroute.auth.Scopes;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.common.PullrouteException.RateLimited;
import io.pullroute.common.RateLimiter;
import io.pullroute.common.Workers;
import io.pullroute.config.Config;
import io.pullroute.events.Audience;
import io.pullroute.events.Event;
import io.pullroute.events.EventBatch;
import io.pullroute.events.EventHub;
import io.pullroute.events.Interest;
import io.pullroute.events.Joined;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Alvaria-compatible streaming API without HTTP: sessions, long polls, acknowledgement and
 * subscriptions. A session's definition, cursor, pending events and subscriptions are in the store;
 * this node caches them, writes cursors in batches every {@link #CURSOR_WRITES} (a crash
 * redelivers, never loses; but a cursor taken back by a change of what the session hears reaches
 * the store only with the next batch, so a crash before it forgets that) and writes pending events
 * before they are answered. Thread-safe.
 */
public final class StreamingService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingService.class);
  static final String INVALID_SESSION = "Invalid or expired session";
  private static final Duration AUDIENCE_TTL = Duration.ofSeconds(5);

  /**
   * How often the cursors and last polls that changed are written: after a crash a session without
   * acknowledgement may receive again the events of up to this long. Every half second until
   * session 11 of bench/REPORT.md: with 1,000 sessions polling, those writes were 6 % of the
   * server's CPU in the fan-out benchmark, and the commits of new events waited behind them; every
   * 5 s, pullroute's p99 at 10k deliveries/s was below CometD's in 2 of 4 runs on a machine where
   * it had been above in 3 of 3.
   */
  static final Duration CURSOR_WRITES = Duration.ofSeconds(5);

  /**
   * How often a node that shares its store with others (PostgreSQL) reads again, for a session it
   * holds, what another node may have changed: whether the session still exists, its subscriptions,
   * and what its user hears. Four reads per session every 5 s (the session, its subscriptions, what
   * its user joined, its workbins), at a session's next call; the embedded store has one node and
   * never needs it.
   */
  public static final Duration SHARED_STORE_RECHECK = Duration.ofSeconds(5);

  /**
   * How far the clocks of nodes sharing a store may differ: a list or conversation another node
   * stamps as joined up to this long before a check counts as joined after it (a check that goes
   * back once more costs reading, never repeats).
   */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(5);

  /** What streaming needs to know of routing: who sees what. */
  public interface Directory {
    /**
     * The lists the user is subscribed to and the conversations it is in, read at once, with when
     * it last joined one (null when not known: then only a change of its keys tells; see {@link
     * #recheck}).
     */
    Joined joined(String userId);

    boolean mayWorkOn(Principal principal, String listId);

    boolean isParticipant(Principal principal, String conversationId);
  }

  private final StreamingRepository repository;
  private final Directory directory;
  private final EventHub hub;
  private final Predicate<String> knownEventType;
  private final InstantSource clock;
  private final Duration pollWait;
  private final Config.StreamingLimits limits;
  private final Duration recheck;
  private final RateLimiter polls;
  private final ConcurrentHashMap<String, LiveSession> sessions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<String>> sessionsByUser = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CachedKeys> audience = new ConcurrentHashMap<>();
  // Counts audience changes: keys read while one happened are not cached (they may predate it).
  private final AtomicLong audienceChanges = new AtomicLong();
  private final ConcurrentHashMap<String, ReentrantLock> creates = new ConcurrentHashMap<>();
  private final ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledThreadPoolExecutor housekeeping =
      Workers.scheduler("pullroute-streaming-housekeeping");

  private record CachedKeys(Set<String> keys, long loadedNanos) {}

  public StreamingService(
      StreamingRepository repository,
      Directory directory,
      EventHub hub,
      Predicate<String> knownEventType,
      InstantSource clock,
      Duration pollWait,
      Config.StreamingLimits limits,
      Duration recheck) {
    this.repository = repository;
    this.directory = directory;
    this.hub = hub;
    this.knownEventType = knownEventType;
    this.clock = clock;
    this.pollWait = pollWait;
    this.limits = limits;
    this.recheck = recheck;
    this.polls = new RateLimiter(limits.pollsPerSecond(), clock);
  }

  public StreamingService start() {
    long cursorWrites = CURSOR_WRITES.toMillis();
    housekeeping.scheduleWithFixedDelay(
        this::flushQuietly, cursorWrites, cursorWrites, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::expireQuietly, 5, 5, TimeUnit.SECONDS);
    return this;
  }

  // ---- sessions

  public StreamingSession create(
      Principal principal, int version, Integer inactivityDelay, boolean requireAcknowledgement) {
    requireStreaming(principal);
    // Count and insert under the principal's lock: concurrent creates must not pass the limit
    // together. (The limit holds per node; DESIGN.md §8 runs several.)
    ReentrantLock creating = creates.computeIfAbsent(principal.key(), key -> new ReentrantLock());
    creating.lock();
    try {
      return createLocked(principal, version, inactivityDelay, requireAcknowledgement);
    } finally {
      creating.unlock();
    }
  }

  private StreamingSession createLocked(
      Principal principal, int version, Integer inactivityDelay, boolean requireAcknowledgement) {
    if (repository.countByOwner(principal.key()) >= limits.sessionsPerPrincipal()) {
      throw new RateLimited(
          "at most "
              + limits.sessionsPerPrincipal()
              + " streaming sessions per principal; delete one or let it expire",
          StreamingSession.MIN_DELAY);
    }
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    StreamingSession session =
        new StreamingSession(
            Ids.randomHex(16),
            principal.orgId(),
            principal.key(),
            version,
            inactivityDelay == null ? StreamingSession.DEFAULT_DELAY : inactivityDelay,
            requireAcknowledgement,
            now);
    long cursor = hub.headSeq();
    repository.insert(session, cursor);
    LiveSession created = new LiveSession(session, cursor, now, List.of(), List.of());
    firstCheck(principal, created);
    remember(principal, created);
    return session;
  }

  public void delete(Principal principal, int version, String sessionId) {
    LiveSession live = session(principal, version, sessionId);
    forget(live.id());
    repository.delete(live.id());
  }

  // ---- polls

  /**
   * The next events of a session: at once when some are waiting (with acknowledgement, the oldest
   * unacknowledged first), else as soon as one arrives, else none after the poll wait.
   */
  public CompletableFuture<List<Event>> poll(
      Principal principal, int version, String sessionId, int maxEvents) {
    LiveSession live = session(principal, version, sessionId);
    polls.acquire("poll:" + sessionId);
    Instant now = clock.instant();
    live.touch(now);
    // The position before the interest: a change of what the session hears that commits after the
    // interest was read takes the cursor back (see audienceChanged), and this poll then does not
    // move it.
    LiveSession.Position from = live.position();
    Interest interest = interest(principal, live);
    if (live.session.requireAcknowledgement()) {
      List<Event> pending = live.pending(maxEvents);
      if (!pending.isEmpty()) {
        hub.supersede(sessionId);
        List<Event> answer = new ArrayList<>(pending);
        if (pending.size() < maxEvents) {
          EventBatch batch = hub.read(interest, from.cursor(), maxEvents - pending.size());
          List<Event> read = deliver(live, from, batch, live.unheard(batch.events()));
          // After a rewind, what is read may be pending already.
          Set<String> answered = new HashSet<>();
          pending.forEach(event -> answered.add(event.id()));
          read.stream().filter(event -> answered.add(event.id())).forEach(answer::add);
          // After a rewind, what is read may come before what is pending: in commit order.
          answer.sort(java.util.Comparator.comparingLong(Event::seq));
        }
        return CompletableFuture.completedFuture(answer);
      }
    }
    CompletableFuture<EventBatch> answer =
        await(live, from, interest, from.cursor(), maxEvents, pollWait);
    long deadline = System.nanoTime() + pollWait.toNanos();
    return answer.thenComposeAsync(
        batch -> answer(live, from, interest, maxEvents, batch, deadline), completions);
  }

  /**
   * The answer of a poll that started {@code from} and found {@code batch}. When all it found had
   * been handed out before (read again after a rewind), it waits on from there, for what is left of
   * its poll wait, rather than answering empty at once.
   */
  private CompletableFuture<List<Event>> answer(
      LiveSession live,
      LiveSession.Position from,
      Interest interest,
      int maxEvents,
      EventBatch batch,
      long deadline) {
    List<Event> events = live.unheard(batch.events());
    long left = deadline - System.nanoTime();
    // (After a rewind since it started, it answers: it may wait with what the session heard.)
    if (events.isEmpty() && !batch.isEmpty() && left > 0 && !live.rewoundSince(from)) {
      live.advance(from, batch.cursor(), List.of());
      return await(live, from, interest, batch.cursor(), maxEvents, Duration.ofNanos(left))
          .thenComposeAsync(
              more -> answer(live, from, interest, maxEvents, more, deadline), completions);
    }
    return CompletableFuture.completedFuture(deliver(live, from, batch, events));
  }

  /**
   * The hub's events for a poll that started {@code from}, after {@code cursor}, waiting up to
   * {@code wait}. When what the session hears changed while the poll read it, the change ended the
   * waits it found; this one may have registered after, with what the session heard before: it ends
   * too.
   */
  private CompletableFuture<EventBatch> await(
      LiveSession live,
      LiveSession.Position from,
      Interest interest,
      long cursor,
      int maxEvents,
      Duration wait) {
    CompletableFuture<EventBatch> batch = hub.await(interest, cursor, maxEvents, wait, live.id());
    if (live.rewoundSince(from)) {
      hub.supersede(live.id());
    }
    return batch;
  }

  /**
   * Records that a poll that started {@code from} hands out {@code events} of {@code batch}:
   * pending first for acknowledgement, then the cursor.
   */
  private List<Event> deliver(
      LiveSession live, LiveSession.Position from, EventBatch batch, List<Event> events) {
    Instant now = clock.instant();
    if (live.session.requireAcknowledgement() && !events.isEmpty()) {
      // Written before the answer leaves: after a crash these events come again. With the cursor
      // this poll leaves, which a rewind since it started holds back.
      repository.addPending(live.id(), events, live.cursorAfter(from, batch.cursor()), now);
      live.addPending(events);
    }
    live.advance(from, batch.cursor(), events);
    live.touch(now);
    return events;
  }

  // ---- acknowledgement

  /** What an acknowledgement found. */
  public record Acknowledged(List<String> acknowledged, List<String> notFound) {}

  public Acknowledged acknowledge(Principal principal, String sessionId, List<String> eventIds) {
    LiveSession live = session(principal, 3, sessionId);
    if (!live.session.requireAcknowledgement()) {
      throw new InvalidInput(
          "requireAcknowledgement",
          "this session was created without requireAcknowledgement; it has nothing to"
              + " acknowledge");
    }
    Set<String> found = repository.acknowledge(sessionId, eventIds);
    // All it names, found or not: an event acknowledged through another node is gone from the
    // store but still pending in this node's memory, and would otherwise come with every poll here.
    live.removePending(eventIds);
    List<String> acknowledged = new ArrayList<>();
    List<String> notFound = new ArrayList<>();
    for (String id : new java.util.LinkedHashSet<>(eventIds)) {
      (found.contains(id) ? acknowledged : notFound).add(id);
    }
    return new Acknowledged(acknowledged, notFound);
  }

  // ---- subscriptions

  public List<Subscription> subscriptions(Principal principal, String sessionId) {
    return session(principal, null, sessionId).subscriptions();
  }

  public Subscription subscription(Principal principal, String sessionId, String id) {
    return session(principal, null, sessionId).subscriptions().stream()
        .filter(subscription -> subscription.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new NotFound("subscription", id));
  }

  /** Creates ({@code id} null: a new id) or replaces a subscription; answers it and whether new. */
  public Map.Entry<Subscription, Boolean> saveSubscription(
      Principal principal,
      String sessionId,
      String id,
      String description,
      FilterCriteria criteria) {
    LiveSession live = session(principal, null, sessionId);
    criteria.validate(knownEventType);
    authorize(principal, criteria);
    // Check the limit, save and reload under the session's lock, so concurrent saves neither
    // pass the limit together nor leave the cached list without one of them.
    live.lock.lock();
    try {
      return saveLocked(live, sessionId, id, description, criteria);
    } finally {
      live.lock.unlock();
    }
  }

  private Map.Entry<Subscription, Boolean> saveLocked(
      LiveSession live, String sessionId, String id, String description, FilterCriteria criteria) {
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    Optional<Subscription> existing =
        id == null
            ? Optional.empty()
            : live.subscriptions().stream().filter(s -> s.id().equals(id)).findFirst();
    if (existing.isEmpty() && live.subscriptions().size() >= limits.subscriptionsPerSession()) {
      throw new RateLimited(
          "at most " + limits.subscriptionsPerSession() + " subscriptions per session",
          StreamingSession.MIN_DELAY);
    }
    Subscription subscription =
        new Subscription(
            sessionId,
            id == null ? Ids.randomHex(8) : id,
            description,
            criteria,
            existing.map(Subscription::createdAt).orElse(now),
            now);
    long mark = hub.headSeq();
    boolean created = repository.saveSubscription(subscription);
    live.subscriptions(repository.subscriptions(sessionId));
    // A poll listens with the old criteria: the next one reads again from before the save with
    // the new ones.
    live.rewindTo(mark);
    hub.supersede(sessionId);
    return Map.entry(subscription, created);
  }

  public void deleteSubscription(Principal principal, String sessionId, String id) {
    LiveSession live = session(principal, null, sessionId);
    live.lock.lock();
    try {
      if (!repository.deleteSubscription(sessionId, id)) {
        throw new NotFound("subscription", id);
      }
      live.subscriptions(repository.subscriptions(sessionId));
    } finally {
      live.lock.unlock();
    }
    hub.supersede(sessionId);
  }

  /**
   * Agents may watch only themselves, lists they may work on and conversations they are in;
   * supervisors, admins and clients anything of their organization.
   */
  private void authorize(Principal principal, FilterCriteria criteria) {
    if (!watchesNamedOnly(principal)) {
      return;
    }
    if (criteria.allResources()) {
      throw new Forbidden("agents may subscribe to named resources only, not to all of them");
    }
    for (String id : criteria.resourceIds()) {
      if (!mayWatch(
          principal,
          criteria.resourceType(),
          id,
          conversation -> directory.isParticipant(principal, conversation))) {
        throw new Forbidden(
            "agents may not watch " + criteria.resourceType() + " " + id + " of someone else");
      }
    }
  }

  // ---- audience

  /**
   * The log's head now: taken before a change of what users hear commits, and handed to {@link
   * #audienceChanged} after. Every event the change makes a user hear comes after it.
   */
  public long audienceMark() {
    return hub.headSeq();
  }

  /**
   * Tells the sessions of {@code userId} that what it hears changed (subscribed, joined …) in a
   * change that committed after {@code mark} ({@link #audienceMark}): their cursors go back to it
   * (if past it), and their polls end. A poll that read the keys before the commit may have passed
   * over events the user now hears; the next poll reads them again with the new keys, and hands out
   * only those not handed out before.
   */
  public void audienceChanged(String userId, long mark) {
    audienceChanges.incrementAndGet();
    audience.remove(userId);
    for (String sessionId : sessionsByUser.getOrDefault(userId, Set.of())) {
      LiveSession live = sessions.get(sessionId);
      if (live != null) {
        live.rewindTo(mark);
      }
      hub.supersede(sessionId);
    }
  }

  /**
   * Tells the sessions of the users of {@code orgId} that what they hear may have changed (an
   * administrator changed whose workbins its lists are) after {@code mark}: as {@link
   * #audienceChanged} for each.
   */
  public void audienceChangedIn(String orgId, long mark) {
    audienceChanges.incrementAndGet();
    audience.clear(); // users without a session here too: not kept by organization
    sessionsByUser.forEach(
        (userId, sessionIds) -> {
          boolean inOrganization =
              sessionIds.stream()
                  .map(sessions::get)
                  .anyMatch(live -> live != null && live.session.orgId().equals(orgId));
          if (inOrganization) {
            audienceChanged(userId, mark);
          }
        });
  }

  /**
   * Whether an agent may watch resource {@code id} of {@code resourceType}: itself, a list it may
   * work on, a conversation it is in ({@code isIn}, as the caller knows it).
   */
  private boolean mayWatch(
      Principal principal, String resourceType, String id, Predicate<String> isIn) {
    return switch (resourceType) {
      case "users" -> id.equals(principal.subject());
      case "lists" -> directory.mayWorkOn(principal, id);
      case "conversations" -> isIn.test(id);
      default -> false;
    };
  }

  /** Whether {@code principal} is an agent: it may watch only what {@link #authorize} names. */
  private static boolean watchesNamedOnly(Principal principal) {
    return principal.isUser() && !principal.hasRole("supervisor") && !principal.hasRole("admin");
  }

  private Interest interest(Principal principal, LiveSession live) {
    Set<String> base = principal.isUser() ? keysOf(principal.subject()) : Set.of();
    List<Subscription> subscriptions = live.subscriptions();
    return live.interest(
        base,
        subscriptions,
        () -> interest(live, base, stillAllowed(principal, base, subscriptions)));
  }

  /**
   * {@code subscriptions} without what an agent may no longer watch: a list it may no longer work
   * on, a conversation it is no longer in ({@code base}: what it hears as its user), or all of its
   * organization (a supervisor's subscription, kept by a session whose user became an agent). A
   * subscription left with no resource is left out. What {@link #authorize} allowed when it was
   * made is so decided again whenever the session's interest is built: at once on the node of a
   * change, within {@link #AUDIENCE_TTL} on the others.
   */
  private List<Subscription> stillAllowed(
      Principal principal, Set<String> base, List<Subscription> subscriptions) {
    if (!watchesNamedOnly(principal)) {
      return subscriptions;
    }
    List<Subscription> allowed = new ArrayList<>(subscriptions.size());
    for (Subscription subscription : subscriptions) {
      FilterCriteria criteria = subscription.filterCriteria();
      if (criteria.allResources()) {
        continue;
      }
      List<String> ids =
          criteria.resourceIds().stream()
              .filter(
                  id ->
                      mayWatch(
                          principal,
                          criteria.resourceType(),
                          id,
                          conversation -> base.contains(Audience.conversation(conversation))))
              .toList();
      if (ids.size() == criteria.resourceIds().size()) {
        allowed.add(subscription);
      } else if (!ids.isEmpty()) {
        allowed.add(subscription.watching(ids));
      }
    }
    return allowed;
  }

  private static Interest interest(
      LiveSession live, Set<String> base, List<Subscription> subscriptions) {
    if (subscriptions.isEmpty()) {
      return Interest.of(live.session.orgId(), base);
    }
    Set<String> keys = new HashSet<>(base);
    for (Subscription subscription : subscriptions) {
      FilterCriteria criteria = subscription.filterCriteria();
      if (criteria.allResources()) {
        keys.add(Audience.organization(live.session.orgId()));
      } else {
        // Named resources: wake only for events about them.
        criteria
            .resourceIds()
            .forEach(id -> keys.add(Audience.resource(criteria.resourceType(), id)));
      }
    }
    return new Interest(
        live.session.orgId(),
        keys,
        event -> {
          for (String key : event.audience()) {
            if (base.contains(key)) {
              return true;
            }
          }
          for (Subscription subscription : subscriptions) {
            if (subscription.filterCriteria().matches(event)) {
              return true;
            }
          }
          return false;
        });
  }

  /**
   * What a user hears without subscriptions: its own events, its lists, its conversations and its
   * workbins (DESIGN.md §4.7).
   */
  private Set<String> keysOf(String userId) {
    CachedKeys cached = audience.get(userId);
    if (cached != null && System.nanoTime() - cached.loadedNanos() < AUDIENCE_TTL.toNanos()) {
      return cached.keys();
    }
    return loadKeys(userId).keys();
  }

  /** A user's keys as read from the store, and when it last joined a list or conversation. */
  private record LoadedKeys(Set<String> keys, Instant lastJoined) {}

  /**
   * {@link #keysOf} read from the store now, and cached unless an audience change came while they
   * were read (the change's commit may be after the reads, its forgetting before the caching); then
   * the keys cached before are forgotten too.
   */
  private LoadedKeys loadKeys(String userId) {
    long changes = audienceChanges.get();
    Set<String> keys = new HashSet<>();
    keys.add(Audience.user(userId));
    Joined joined = directory.joined(userId);
    joined.lists().forEach(list -> keys.add(Audience.list(list)));
    joined.conversations().forEach(c -> keys.add(Audience.conversation(c)));
    repository.workbinsOf(userId).forEach(workbin -> keys.add(Audience.workbin(workbin)));
    Set<String> frozen = Set.copyOf(keys);
    if (audienceChanges.get() == changes) {
      audience.put(userId, new CachedKeys(frozen, System.nanoTime()));
    }
    if (audienceChanges.get() != changes) {
      // A change came meanwhile: these keys may predate it. Not cached, and the keys cached
      // before are older still (a check's fresh read may have found what another node changed):
      // the next poll reads them again.
      audience.remove(userId);
    }
    return new LoadedKeys(frozen, joined.last());
  }

  // ---- the session table

  /**
   * The live session {@code sessionId} of {@code principal}, checked: it exists, belongs to the
   * caller, has not expired, and was created with {@code version} (null: either).
   */
  private LiveSession session(Principal principal, Integer version, String sessionId) {
    requireStreaming(principal);
    if (sessionId == null || sessionId.isBlank()) {
      throw new InvalidInput("via-client-sessionid", "via-client-sessionid header is required");
    }
    Instant now = clock.instant();
    LiveSession live = sessions.get(sessionId);
    if (live == null) {
      live = load(principal, sessionId);
    }
    StreamingSession session = live.session;
    if (!session.owner().equals(principal.key())
        || !session.orgId().equals(principal.orgId())
        || (version != null && session.version() != version)) {
      throw invalid();
    }
    if (live.checkDue(now, recheck)) {
      recheck(principal, live, now);
    }
    if (session.expiredAt(live.lastPoll(), now)) {
      forget(sessionId);
      repository.delete(sessionId);
      throw invalid();
    }
    return live;
  }

  /**
   * Reads again what another node sharing the store may have changed since this node last read it:
   * whether the session still exists (else it is forgotten and invalid), its last poll (so that a
   * session polled through other nodes does not expire here), its subscriptions and what its user
   * hears without them (lists, conversations, workbins: joined or subscribed through another node,
   * which tells only its own sessions). When the subscriptions changed, or the user now hears
   * something it did not, the change was saved after the last check, so every event it may select
   * is after the cursor of then (events commit in sequence order): the cursor goes back there.
   */
  private void recheck(Principal principal, LiveSession live, Instant now) {
    long cursor = live.cursor(); // before the reads: what they miss, the next check covers
    Optional<StreamingRepository.StoredSession> stored = repository.find(live.id());
    if (stored.isEmpty()) {
      forget(live.id());
      throw invalid();
    }
    live.polledElsewhere(stored.get().lastPoll());
    LoadedKeys loaded =
        principal.isUser() ? loadKeys(principal.subject()) : new LoadedKeys(Set.of(), null);
    Set<String> base = loaded.keys();
    Instant joined = loaded.lastJoined();
    // Under the session's lock, as a save is: a save here and this read cannot interleave.
    boolean hearsMore;
    live.lock.lock();
    try {
      List<Subscription> subscriptions = repository.subscriptions(live.id());
      // Keys the user did not hear at the last check, or a list or conversation (re)joined since
      // about then (the keys may be the same: left through this node, joined again through
      // another).
      hearsMore =
          !live.baseAtCheck().containsAll(base)
              || (joined != null && joined.isAfter(live.checkedAt().minus(CLOCK_SKEW)));
      if (!subscriptions.equals(live.subscriptions())) {
        live.subscriptions(subscriptions);
        hearsMore = true;
      }
      if (hearsMore) {
        live.rewindToLastCheck();
      }
      live.checked(now, cursor, base);
    } finally {
      live.lock.unlock();
    }
    if (hearsMore) {
      // A poll parked with what the session heard before ends now: the client polls again, and
      // hears the rest from the cursor of the last check.
      hub.supersede(live.id());
    }
  }

  /**
   * What a new or newly loaded session is later checked against (see {@link #recheck}); nothing on
   * a store that is never checked again.
   */
  private void firstCheck(Principal principal, LiveSession live) {
    if (recheck.isZero()) {
      return;
    }
    long cursor = live.cursor();
    Set<String> base = principal.isUser() ? loadKeys(principal.subject()).keys() : Set.of();
    live.checked(clock.instant(), cursor, base);
  }

  private LiveSession load(Principal principal, String sessionId) {
    StreamingRepository.StoredSession stored =
        repository.find(sessionId).orElseThrow(StreamingService::invalid);
    LiveSession loaded =
        new LiveSession(
            stored.session(),
            stored.cursor(),
            stored.lastPoll(),
            repository.subscriptions(sessionId),
            stored.session().requireAcknowledgement() ? repository.pending(sessionId) : List.of());
    if (!stored.session().owner().equals(principal.key())) {
      return loaded; // refused by the caller's check; not cached for a stranger
    }
    firstCheck(principal, loaded);
    return remember(principal, loaded);
  }

  private LiveSession remember(Principal principal, LiveSession live) {
    LiveSession kept = sessions.putIfAbsent(live.id(), live);
    if (principal.isUser()) {
      sessionsByUser
          .computeIfAbsent(principal.subject(), user -> ConcurrentHashMap.newKeySet())
          .add(live.id());
    }
    return kept == null ? live : kept;
  }

  private void forget(String sessionId) {
    sessions.remove(sessionId);
    sessionsByUser.values().forEach(ids -> ids.remove(sessionId));
    polls.forget("poll:" + sessionId);
    hub.supersede(sessionId);
  }

  static InvalidInput invalid() {
    return new InvalidInput("via-client-sessionid", INVALID_SESSION);
  }

  private static void requireStreaming(Principal principal) {
    if (principal.orgId() == null || !principal.hasScope(Scopes.STREAMING)) {
      throw new Forbidden(
          "the streaming API needs a token of an organization with scope 'streamingapi'");
    }
  }

  // ---- housekeeping

  /**
   * Writes the cursors and last polls that changed; called every {@link #CURSOR_WRITES} and on
   * close.
   */
  public void flush() {
    Map<String, StreamingRepository.Progress> progress = new HashMap<>();
    for (LiveSession live : sessions.values()) {
      StreamingRepository.Progress changed = live.takeProgress();
      if (changed != null) {
        progress.put(live.id(), changed);
      }
    }
    repository.saveProgress(progress);
  }

  /** Deletes sessions not polled within their inactivity delay; returns how many. */
  public int expire() {
    Instant now = clock.instant();
    int expired = 0;
    for (StreamingRepository.StoredSession stored :
        repository.idleSince(now.minusSeconds(StreamingSession.MIN_DELAY), 500)) {
      LiveSession live = sessions.get(stored.session().id());
      Instant lastPoll = stored.lastPoll();
      if (live != null) {
        // The later of this node's (not written yet) and the store's (another node's, maybe).
        live.polledElsewhere(stored.lastPoll());
        lastPoll = live.lastPoll();
      }
      if (stored.session().expiredAt(lastPoll, now)) {
        forget(stored.session().id());
        repository.delete(stored.session().id());
        expired++;
      }
    }
    return expired;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn("writing streaming cursors failed; retrying", e);
    }
  }

  private void expireQuietly() {
    try {
      expire();
    } catch (RuntimeException e) {
      LOG.warn("expiring streaming sessions failed; retrying", e);
    }
  }

  /** How many sessions this node holds; for metrics and tests. */
  public int liveSessions() {
    return sessions.size();
  }

  @Override
  public void close() {
    Workers.stop(housekeeping, Workers.STOP_WAIT);
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn("writing streaming cursors on close failed", e);
    }
    completions.shutdown();
  }
}
