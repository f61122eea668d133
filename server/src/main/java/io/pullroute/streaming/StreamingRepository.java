package io.pullroute.streaming;

import io.pullroute.events.Event;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What streaming needs from the store, in domain terms. */
public interface StreamingRepository {

  /** A session as stored: its definition, cursor and last poll. */
  record StoredSession(StreamingSession session, long cursor, Instant lastPoll) {}

  void insert(StreamingSession session, long cursor);

  Optional<StoredSession> find(String id);

  /** Deletes a session with its pending events and subscriptions; false when there was none. */
  boolean delete(String id);

  int countByOwner(String owner);

  /** Writes cursors and last-poll times of many sessions at once (batched, at-least-once). */
  void saveProgress(Map<String, Progress> progress);

  /**
   * A session's cursor and last poll, each written only when later than the stored one (another
   * node sharing the store may have written later ones), but for a cursor taken {@code back} (see
   * {@link LiveSession#rewindTo}): that one is written as it is.
   */
  record Progress(long cursor, Instant lastPoll, boolean back) {
    Progress(long cursor, Instant lastPoll) {
      this(cursor, lastPoll, false);
    }
  }

  /** Sessions whose last poll was before {@code before}: candidates for expiry. */
  List<StoredSession> idleSince(Instant before, int limit);

  /** Unacknowledged events of a session, oldest first. */
  List<Event> pending(String sessionId);

  /**
   * Records events as delivered and unacknowledged, and the cursor past them, in one transaction.
   */
  void addPending(String sessionId, List<Event> events, long cursor, Instant lastPoll);

  /** Removes acknowledged events; answers the ids that were pending. */
  Set<String> acknowledge(String sessionId, Collection<String> eventIds);

  List<Subscription> subscriptions(String sessionId);

  /** Creates or replaces; true when it was created. */
  boolean saveSubscription(Subscription subscription);

  boolean deleteSubscription(String sessionId, String id);

  /** Lists and workbins a user's session hears by default: owned by the user's groups. */
  Set<String> workbinsOf(String userId);
}
