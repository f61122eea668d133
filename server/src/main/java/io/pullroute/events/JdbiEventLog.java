package io.pullroute.events;

import io.pullroute.store.Rows;
import io.pullroute.store.Turns;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** The event log on JDBC: appends inside a command's transaction, reads for the hub. */
public final class JdbiEventLog implements EventLog {
  private static final String COLUMNS =
      "seq, id, org_id, event_type, resource_type, resource_id, audience, correlation_id, payload,"
          + " created_at";

  private final Jdbi jdbi;

  public JdbiEventLog(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /**
   * Appends {@code drafts} in the transaction of {@code handle}. Call it as the last statement
   * before commit: it takes the row lock of {@code event_sequence}, which every appender needs, and
   * holds it until the transaction ends. So a transaction that commits later always gets higher
   * sequence numbers, a reader that tails {@code seq > cursor} never skips an event that commits
   * late, and a rollback leaves no gap. This process's appenders queue for the row in {@link
   * Turns#sequence} first. Once the transaction commits, the events are handed to this node's hubs
   * ({@link CommittedEvents}).
   */
  public static List<Event> append(
      Handle handle, Instant now, String orgId, String correlationId, List<EventDraft> drafts) {
    return append(handle, now, List.of(new Appended(orgId, correlationId, drafts)));
  }

  /** Drafts of one command: its organization and correlation id with them. */
  public record Appended(String orgId, String correlationId, List<EventDraft> drafts) {}

  /**
   * Appends the drafts of several commands committed in one transaction, in the given order, with
   * one turn on the sequence row (see {@link #append(Handle, Instant, String, String, List)}).
   */
  public static List<Event> append(Handle handle, Instant now, List<Appended> commands) {
    if (!handle.isInTransaction()) {
      throw new IllegalStateException("events are appended in a transaction");
    }
    int count = 0;
    for (Appended command : commands) {
      count += command.drafts().size();
      for (EventDraft draft : command.drafts()) {
        for (String key : draft.audience()) {
          if (!storableInAudience(key)) {
            throw new IllegalArgumentException(
                "audience key '" + key + "' is empty or has a space");
          }
        }
      }
    }
    if (count == 0) {
      return List.of();
    }
    Turns.sequence(handle);
    // What the store keeps, so that a handed-over event equals the one read back.
    Instant at = now.truncatedTo(ChronoUnit.MILLIS);
    long nowMillis = at.toEpochMilli();
    // One round trip: the row as updated comes back as the statement's generated keys
    // (PostgreSQL's driver adds RETURNING; H2 answers them from the updated row).
    long[] position =
        handle
            .createUpdate(
                "UPDATE event_sequence SET last_seq = last_seq + :count,"
                    + " last_n = CASE WHEN last_ms >= :ms THEN last_n + :count ELSE :count - 1 END,"
                    + " last_ms = CASE WHEN last_ms >= :ms THEN last_ms ELSE :ms END"
                    + " WHERE id = 1")
            .bind("count", count)
            .bind("ms", nowMillis)
            .executeAndReturnGeneratedKeys("last_seq", "last_ms", "last_n")
            .map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)})
            .findOne()
            .orElseThrow(
                () ->
                    new IllegalStateException("event_sequence row missing; this indicates a bug"));
    long firstSeq = position[0] - count + 1;
    long idMillis = position[1];
    long firstN = position[2] - count + 1;

    List<Event> events = new ArrayList<>(count);
    var batch =
        handle.prepareBatch(
            "INSERT INTO event ("
                + COLUMNS
                + ") VALUES (:seq, :id, :org, :type, :resourceType, :resourceId, :audience,"
                + " :correlationId, :payload, :createdAt)");
    int i = 0;
    for (Appended command : commands) {
      for (EventDraft draft : command.drafts()) {
        Event event =
            new Event(
                firstSeq + i,
                idMillis + "-" + (firstN + i),
                command.orgId(),
                draft.type(),
                draft.resourceType(),
                draft.resourceId(),
                draft.audience(),
                command.correlationId(),
                draft.payload(),
                at);
        i++;
        events.add(event);
        batch
            .bind("seq", event.seq())
            .bind("id", event.id())
            .bind("org", event.orgId())
            .bind("type", event.type())
            .bind("resourceType", event.resourceType())
            .bind("resourceId", event.resourceId())
            .bind("audience", String.join(" ", event.audience()))
            .bind("correlationId", event.correlationId())
            .bind("payload", event.payload())
            .bind("createdAt", at)
            .add();
      }
    }
    batch.execute();
    CommittedEvents.appended(handle, events);
    return events;
  }

  /**
   * Whether {@code text} may be (part of) an audience key: an audience is stored with its keys
   * joined by spaces, so a key with one would come back as other keys.
   */
  static boolean storableInAudience(String text) {
    return !text.isEmpty() && text.chars().noneMatch(Character::isWhitespace);
  }

  @Override
  public void handOverTo(CommittedEvents.Receiver receiver) {
    jdbi.getConfig(CommittedEvents.class).add(receiver);
  }

  @Override
  public void stopHandingOverTo(CommittedEvents.Receiver receiver) {
    jdbi.getConfig(CommittedEvents.class).remove(receiver);
  }

  @Override
  public List<Event> after(long afterSeq, int limit) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT "
                        + COLUMNS
                        + " FROM event WHERE seq > :after ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq)
                .bind("limit", limit)
                .map((rs, ctx) -> event(rs))
                .list());
  }

  @Override
  public long lastSeq() {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT last_seq FROM event_sequence WHERE id = 1")
                .mapTo(Long.class)
                .one());
  }

  /** Maps an {@code event} row. */
  public static Event event(ResultSet rs) throws SQLException {
    // Split leniently: a row written before keys were checked may hold runs of spaces.
    Set<String> audience = new HashSet<>();
    for (String key : rs.getString("audience").split(" ")) {
      if (!key.isEmpty()) {
        audience.add(key);
      }
    }
    return new Event(
        rs.getLong("seq"),
        rs.getString("id"),
        rs.getString("org_id"),
        rs.getString("event_type"),
        rs.getString("resource_type"),
        rs.getString("resource_id"),
        audience,
        rs.getString("correlation_id"),
        rs.getString("payload"),
        Rows.instant(rs, "created_at"));
  }
}
