package io.pullroute.streaming;

import static io.pullroute.store.Rows.instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.events.Event;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.http.Json;
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
import org.jdbi.v3.core.Jdbi;

/** {@link StreamingRepository} on JDBC: all streaming SQL. Thread-safe. */
public final class JdbiStreamingRepository implements StreamingRepository {
  /** Sessions whose progress one transaction writes. */
  private static final int PROGRESS_SLICE = 100;

  private static final ObjectMapper JSON = Json.newMapper();
  private static final String SESSION_COLUMNS =
      "id, org_id, owner, api_version, inactivity_delay, require_ack, cursor_seq, created_at,"
          + " last_poll_at";

  private final Jdbi jdbi;

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
    // of events (and so their delivery) behind it.
    List<Map.Entry<String, Progress>> rows = new ArrayList<>(progress.entrySet());
    for (int from = 0; from < rows.size(); from += PROGRESS_SLICE) {
      List<Map.Entry<String, Progress>> slice =
          rows.subList(from, Math.min(rows.size(), from + PROGRESS_SLICE));
      jdbi.useTransaction(
          handle -> {
            var batch =
                handle.prepareBatch(
                    "UPDATE streaming_session SET cursor_seq = CASE WHEN cursor_seq > :cursor"
                        + " THEN cursor_seq ELSE :cursor END, last_poll_at = :lastPoll"
                        + " WHERE id = :id");
            for (Map.Entry<String, Progress> row : slice) {
              batch
                  .bind("id", row.getKey())
                  .bind("cursor", row.getValue().cursor())
                  .bind("lastPoll", row.getValue().lastPoll())
                  .add();
            }
            batch.execute();
          });
    }
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

  @Override
  public void addPending(String sessionId, List<Event> events, long cursor, Instant lastPoll) {
    jdbi.useTransaction(
        handle -> {
          if (!events.isEmpty()) {
            var batch =
                handle.prepareBatch(
                    "INSERT INTO streaming_pending (session_id, seq, event_id)"
                        + " VALUES (:session, :seq, :eventId) ON CONFLICT DO NOTHING");
            for (Event event : events) {
              batch
                  .bind("session", sessionId)
                  .bind("seq", event.seq())
                  .bind("eventId", event.id())
                  .add();
            }
            batch.execute();
          }
          handle
              .createUpdate(
                  "UPDATE streaming_session SET"
                      + " cursor_seq = CASE WHEN cursor_seq > :cursor THEN cursor_seq ELSE :cursor"
                      + " END, last_poll_at = :lastPoll WHERE id = :id")
              .bind("id", sessionId)
              .bind("cursor", cursor)
              .bind("lastPoll", lastPoll)
              .execute();
        });
  }

  @Override
  public Set<String> acknowledge(String sessionId, Collection<String> eventIds) {
    if (eventIds.isEmpty()) {
      return Set.of();
    }
    return jdbi.inTransaction(
        handle -> {
          Set<String> found =
              new HashSet<>(
                  handle
                      .createQuery(
                          "SELECT event_id FROM streaming_pending WHERE session_id = :session"
                              + " AND event_id IN (<ids>)")
                      .bind("session", sessionId)
                      .bindList("ids", List.copyOf(eventIds))
                      .mapTo(String.class)
                      .list());
          if (!found.isEmpty()) {
            handle
                .createUpdate(
                    "DELETE FROM streaming_pending WHERE session_id = :session"
                        + " AND event_id IN (<ids>)")
                .bind("session", sessionId)
                .bindList("ids", List.copyOf(found))
                .execute();
          }
          return found;
        });
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
