package io.pullroute.streaming;

import static io.pullroute.store.Rows.instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.events.Event;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.http.Json;
import io.pullroute.store.CommitGroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** {@link StreamingRepository} on JDBC: all streaming SQL. Thread-safe. */
public final class JdbiStreamingRepository implements StreamingRepository {
  /** Sessions whose progress one transaction writes. */
  private static final int PROGRESS_SLICE = 100;

  private static final ObjectMapper JSON = Json.newMapper();
  private static final String SESSION_COLUMNS =
      "id, org_id, owner, api_version, inactivity_delay, require_ack, cursor_seq, created_at,"
          + " last_poll_at";

  /** Most pending writes (see {@link #writes}) in one transaction. */
  private static final int MAX_WRITES = 64;

  private final Jdbi jdbi;

  /**
   * What sessions that require acknowledgement write on every poll and every acknowledgement, a
   * group of them per transaction. With a commit each, such sessions' p99 in {@code bench ack} was
   * 10–36 times that of sessions without acknowledgement, and publishes slowed with them, their
   * commits queued behind those writes' (bench/REPORT.md).
   */
  private final CommitGroups<PendingWrite> writes =
      new CommitGroups<>("pullroute-pending-commit", MAX_WRITES, this::writeGroup);

  public JdbiStreamingRepository(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public void insert(StreamingSession session, long cursor) {
    jdbi.useHandle(
        handle ->
            handle
                .createUpdate(
                    "INSERT INTO streaming_session ("
                        + SESSION_COLUMNS
                        + ") VALUES (:id, :org, :owner, :version, :delay, :ack, :cursor,"
                        + " :createdAt, :createdAt)")
                .bind("id", session.id())
                .bind("org", session.orgId())
                .bind("owner", session.owner())
                .bind("version", session.version())
                .bind("delay", session.inactivityDelay())
                .bind("ack", session.requireAcknowledgement())
                .bind("cursor", cursor)
                .bind("createdAt", session.createdAt())
                .execute());
  }

  @Override
  public Optional<StoredSession> find(String id) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT " + SESSION_COLUMNS + " FROM streaming_session WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> stored(rs))
                .findOne());
  }

  private static StoredSession stored(ResultSet rs) throws SQLException {
    return new StoredSession(
        new StreamingSession(
            rs.getString("id"),
            rs.getString("org_id"),
            rs.getString("owner"),
            rs.getInt("api_version"),
            rs.getInt("inactivity_delay"),
            rs.getBoolean("require_ack"),
            instant(rs, "created_at")),
        rs.getLong("cursor_seq"),
        instant(rs, "last_poll_at"));
  }

  @Override
  public boolean delete(String id) {
    return jdbi.inTransaction(
            handle -> {
              handle
                  .createUpdate("DELETE FROM streaming_pending WHERE session_id = :id")
                  .bind("id", id)
                  .execute();
              handle
                  .createUpdate("DELETE FROM streaming_subscription WHERE session_id = :id")
                  .bind("id", id)
                  .execute();
              return handle
                  .createUpdate("DELETE FROM streaming_session WHERE id = :id")
                  .bind("id", id)
                  .execute();
            })
        == 1;
  }

  @Override
  public int countByOwner(String owner) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT COUNT(*) FROM streaming_session WHERE owner = :owner")
                .bind("owner", owner)
                .mapTo(Integer.class)
                .one());
  }

  @Override
  public void saveProgress(Map<String, Progress> progress) {
    if (progress.isEmpty()) {
      return;
    }
    // A transaction per slice: in autocommit every row was a commit of its own, and one commit
    // for thousands of sessions held the store's commit lock long enough to delay the commits
    // of events (and so their delivery) behind it. Rows in id order, as a group of pending
    // writes updates them: two transactions never wait for each other's sessions.
    List<Map.Entry<String, Progress>> rows = new ArrayList<>(new TreeMap<>(progress).entrySet());
    for (int from = 0; from < rows.size(); from += PROGRESS_SLICE) {
      List<Map.Entry<String, Progress>> slice =
          rows.subList(from, Math.min(rows.size(), from + PROGRESS_SLICE));
      jdbi.useTransaction(handle -> updateProgress(handle, slice));
    }
  }

  /**
   * Moves each session's cursor and last poll forward (never back: another node sharing the store
   * may have written later ones; but a cursor taken back is written as it is), in the given order.
   */
  private static void updateProgress(Handle handle, Collection<Map.Entry<String, Progress>> rows) {
    var batch =
        handle.prepareBatch(
            "UPDATE streaming_session SET cursor_seq = CASE WHEN cursor_seq > :cursor AND NOT :back"
                + " THEN cursor_seq ELSE :cursor END, last_poll_at = CASE WHEN last_poll_at >"
                + " :lastPoll THEN last_poll_at ELSE :lastPoll END"
                + " WHERE id = :id");
    for (Map.Entry<String, Progress> row : rows) {
      batch
          .bind("id", row.getKey())
          .bind("cursor", row.getValue().cursor())
          .bind("back", row.getValue().back())
          .bind("lastPoll", row.getValue().lastPoll())
          .add();
    }
    batch.execute();
  }

  @Override
  public List<StoredSession> idleSince(Instant before, int limit) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT "
                        + SESSION_COLUMNS
                        + " FROM streaming_session WHERE last_poll_at < :before"
                        + " ORDER BY last_poll_at LIMIT :limit")
                .bind("before", before)
                .bind("limit", limit)
                .map((rs, ctx) -> stored(rs))
                .list());
  }

  @Override
  public List<Event> pending(String sessionId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT e.seq, e.id, e.org_id, e.event_type, e.resource_type, e.resource_id,"
                        + " e.audience, e.correlation_id, e.payload, e.created_at"
                        + " FROM streaming_pending p JOIN event e ON e.seq = p.seq"
                        + " WHERE p.session_id = :session ORDER BY p.seq")
                .bind("session", sessionId)
                .map((rs, ctx) -> JdbiEventLog.event(rs))
                .list());
  }

  /**
   * Records events as delivered and unacknowledged, with the session's cursor, in a transaction
   * with other sessions' such writes and acknowledgements (see {@link #writes}).
   */
  @Override
  public void addPending(String sessionId, List<Event> events, long cursor, Instant lastPoll) {
    PendingWrite write =
        new PendingWrite(sessionId, events, new Progress(cursor, lastPoll), List.of());
    writes.run(write);
    write.get();
  }

  @Override
  public Set<String> acknowledge(String sessionId, Collection<String> eventIds) {
    if (eventIds.isEmpty()) {
      return Set.of();
    }
    PendingWrite write = new PendingWrite(sessionId, List.of(), null, List.copyOf(eventIds));
    writes.run(write);
    return write.get();
  }

  /** Pending writes waiting for their group (for tests). */
  int waitingWrites() {
    return writes.waiting();
  }

  /**
   * On the committer thread: a group's writes in one transaction. When it fails as a whole (one
   * write's session was deleted meanwhile, say), {@link CommitGroups} runs each write again alone.
   */
  private void writeGroup(List<PendingWrite> group) {
    jdbi.useTransaction(handle -> write(handle, group));
  }

  /**
   * Acknowledgements first (each removes what it names of its own session's pending events), then
   * the pending events of every write, one batch, then the sessions' cursors, in id order.
   */
  private static void write(Handle handle, List<PendingWrite> group) {
    Map<String, Progress> progress = new TreeMap<>();
    var pending =
        handle.prepareBatch(
            "INSERT INTO streaming_pending (session_id, seq, event_id)"
                + " VALUES (:session, :seq, :eventId) ON CONFLICT DO NOTHING");
    for (PendingWrite write : group) {
      write.succeeded(write.acknowledged.isEmpty() ? Set.of() : removePending(handle, write));
      for (Event event : write.events) {
        pending
            .bind("session", write.sessionId)
            .bind("seq", event.seq())
            .bind("eventId", event.id())
            .add();
      }
      if (write.progress != null) {
        progress.merge(write.sessionId, write.progress, PendingWrite::later);
      }
    }
    if (pending.size() > 0) {
      pending.execute();
    }
    if (!progress.isEmpty()) {
      updateProgress(handle, progress.entrySet());
    }
  }

  /**
   * Removes the acknowledged events of {@code write}'s session; answers the ids that were pending.
   */
  private static Set<String> removePending(Handle handle, PendingWrite write) {
    Set<String> found =
        new HashSet<>(
            handle
                .createQuery(
                    "SELECT event_id FROM streaming_pending WHERE session_id = :session"
                        + " AND event_id IN (<ids>)")
                .bind("session", write.sessionId)
                .bindList("ids", write.acknowledged)
                .mapTo(String.class)
                .list());
    if (!found.isEmpty()) {
      handle
          .createUpdate(
              "DELETE FROM streaming_pending WHERE session_id = :session"
                  + " AND event_id IN (<ids>)")
          .bind("session", write.sessionId)
          .bindList("ids", List.copyOf(found))
          .execute();
    }
    return found;
  }

  /**
   * A write of {@link #addPending} (events and progress) or {@link #acknowledge} (ids), and what
   * came of it: written by the committer before its group ends, read by the caller after.
   */
  private static final class PendingWrite extends CommitGroups.Result<Set<String>> {
    final String sessionId;
    final List<Event> events;
    final Progress progress;
    final List<String> acknowledged;

    PendingWrite(
        String sessionId, List<Event> events, Progress progress, List<String> acknowledged) {
      this.sessionId = sessionId;
      this.events = events;
      this.progress = progress;
      this.acknowledged = acknowledged;
    }

    /** The further cursor and the later poll of two writes of one session. */
    static Progress later(Progress a, Progress b) {
      return new Progress(
          Math.max(a.cursor(), b.cursor()),
          a.lastPoll().isAfter(b.lastPoll()) ? a.lastPoll() : b.lastPoll());
    }
  }

  @Override
  public List<Subscription> subscriptions(String sessionId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT session_id, id, description, filter_criteria, created_at,"
                        + " last_modified_at FROM streaming_subscription"
                        + " WHERE session_id = :session ORDER BY created_at, id")
                .bind("session", sessionId)
                .map(
                    (rs, ctx) ->
                        new Subscription(
                            rs.getString("session_id"),
                            rs.getString("id"),
                            rs.getString("description"),
                            criteria(rs.getString("filter_criteria")),
                            instant(rs, "created_at"),
                            instant(rs, "last_modified_at")))
                .list());
  }

  @Override
  public boolean saveSubscription(Subscription subscription) {
    return jdbi.inTransaction(
        handle -> {
          int updated =
              handle
                  .createUpdate(
                      "UPDATE streaming_subscription SET description = :description,"
                          + " filter_criteria = :criteria, last_modified_at = :modified"
                          + " WHERE session_id = :session AND id = :id")
                  .bind("session", subscription.sessionId())
                  .bind("id", subscription.id())
                  .bind("description", subscription.description())
                  .bind("criteria", json(subscription.filterCriteria()))
                  .bind("modified", subscription.lastModifiedAt())
                  .execute();
          if (updated == 1) {
            return false;
          }
          handle
              .createUpdate(
                  "INSERT INTO streaming_subscription (session_id, id, description,"
                      + " filter_criteria, created_at, last_modified_at) VALUES (:session, :id,"
                      + " :description, :criteria, :created, :modified)")
              .bind("session", subscription.sessionId())
              .bind("id", subscription.id())
              .bind("description", subscription.description())
              .bind("criteria", json(subscription.filterCriteria()))
              .bind("created", subscription.createdAt())
              .bind("modified", subscription.lastModifiedAt())
              .execute();
          return true;
        });
  }

  @Override
  public boolean deleteSubscription(String sessionId, String id) {
    return jdbi.withHandle(
            handle ->
                handle
                    .createUpdate(
                        "DELETE FROM streaming_subscription WHERE session_id = :session AND id = :id")
                    .bind("session", sessionId)
                    .bind("id", id)
                    .execute())
        == 1;
  }

  @Override
  public Set<String> workbinsOf(String userId) {
    return jdbi.withHandle(
        handle ->
            new HashSet<>(
                handle
                    .createQuery(
                        "SELECT l.id FROM work_list l JOIN agent_group_member m"
                            + " ON m.group_id = l.agent_group_id WHERE m.user_id = :user"
                            + " UNION SELECT l.id FROM work_list l JOIN place_group_place p"
                            + " ON p.group_id = l.place_group_id JOIN app_user u"
                            + " ON u.place = p.place AND u.org_id = l.org_id WHERE u.id = :user")
                    .bind("user", userId)
                    .mapTo(String.class)
                    .list()));
  }

  private static String json(FilterCriteria criteria) {
    ObjectNode node = JSON.createObjectNode();
    node.put("catalogType", criteria.catalogType());
    criteria.catalogTypeEvents().forEach(node.putArray("catalogTypeEvents")::add);
    ObjectNode resources = node.putObject("resources");
    resources.put("resourceType", criteria.resourceType());
    criteria.resourceIds().forEach(resources.putArray("resourceIds")::add);
    return node.toString();
  }

  private static FilterCriteria criteria(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      List<String> events = new ArrayList<>();
      node.get("catalogTypeEvents").forEach(value -> events.add(value.asText()));
      List<String> ids = new ArrayList<>();
      node.at("/resources/resourceIds").forEach(value -> ids.add(value.asText()));
      return new FilterCriteria(
          node.get("catalogType").asText(),
          events,
          node.at("/resources/resourceType").asText(),
          ids);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
