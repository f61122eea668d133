package io.pullroute.routing;

import static io.pullroute.store.Rows.instant;

import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.events.Event;
import io.pullroute.events.EventDraft;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.events.Joined;
import io.pullroute.store.Dialect;
import io.pullroute.store.Plans;
import io.pullroute.store.StoreErrors;
import io.pullroute.store.Turns;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.Update;

/** {@link RoutingRepository} on JDBC: all routing SQL. Thread-safe. */
public final class JdbiRoutingRepository implements RoutingRepository {
  private static final String CONVERSATION_COLUMNS =
      "c.id, c.org_id, c.interaction_number, c.list_id, c.channel_id, c.state, c.priority,"
          + " c.customer, c.channel_customer_identifier, c.additional_attributes, c.created_at,"
          + " c.last_customer_activity_at, c.closed_at, c.closed_by";

  /**
   * How many {@code referenceId}s one {@code nextval} of {@code workbin_reference_seq} reserves:
   * its increment (migration V5).
   */
  static final int REFERENCE_BLOCK = 64;

  private final Jdbi jdbi;
  private final InstantSource clock;
  private final Dialect dialect;
  private final ReferenceIds referenceIds = new ReferenceIds();

  public JdbiRoutingRepository(Jdbi jdbi, InstantSource clock, Dialect dialect) {
    this.jdbi = jdbi;
    this.clock = clock;
    this.dialect = dialect;
  }

  /**
   * {@code referenceId}s handed out from blocks of {@value #REFERENCE_BLOCK} reserved in the store:
   * one statement per block, not one per id. Unique across servers sharing a store and increasing
   * in each; a block not used up when the server stops leaves a gap, as any sequence may.
   */
  private static final class ReferenceIds {
    private long next;
    private long end;

    synchronized long next(Handle handle) {
      if (next == end) {
        next =
            handle.createQuery("SELECT nextval('workbin_reference_seq')").mapTo(Long.class).one();
        end = next + REFERENCE_BLOCK;
      }
      return next++;
    }
  }

  @Override
  public <T> T inTransaction(Function<Tx, T> work) {
    // Milliseconds, as the wire shows times: what is stored and what is computed agree.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    return translated(
        () ->
            jdbi.inTransaction(
                handle -> {
                  JdbiTx tx = new JdbiTx(handle, now);
                  T result = work.apply(tx);
                  tx.finish();
                  return result;
                }));
  }

  /**
   * Runs {@code transaction}; a write that referred to a row deleted meanwhile (a user, a channel,
   * maybe through another node after this one read it) fails as a {@link
   * io.pullroute.common.PullrouteException.MissingReference} naming it, not as a store error.
   */
  private static <T> T translated(java.util.function.Supplier<T> transaction) {
    try {
      return transaction.get();
    } catch (RuntimeException failed) {
      throw StoreErrors.missingReference(failed)
          .<RuntimeException>map(missing -> missing)
          .orElse(failed);
    }
  }

  /**
   * A command refused before any of its writes ran (as routing's commands are: they check, then
   * write) is refused in its own transaction: its held writes are dropped and its refusal's events
   * commit in its place. Refused later, it is rolled back and they commit in a second transaction.
   */
  @Override
  public void runAlone(Grouped command) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Refused refused;
    try {
      refused =
          translated(
              () ->
                  jdbi.inTransaction(
                      handle -> {
                        JdbiTx tx = new JdbiTx(handle, now);
                        List<EventDraft> drafts;
                        Refused reported = null;
                        try {
                          drafts = command.work().apply(tx);
                        } catch (Refused refusal) {
                          if (tx.ranWrites()) {
                            throw refusal;
                          }
                          tx.undoCommand();
                          drafts = refusal.events();
                          reported = refusal;
                        }
                        tx.finish();
                        JdbiEventLog.append(
                            handle, now, command.orgId(), command.correlationId(), drafts);
                        return reported;
                      }));
    } catch (Refused rolledBack) {
      inTransaction(tx -> tx.append(command.orgId(), command.correlationId(), rolledBack.events()));
      throw rolledBack;
    }
    if (refused != null) {
      throw refused;
    }
  }

  /**
   * First the rows the commands name in their {@link Locks} are locked and read, three statements
   * for the whole group; each command then finds them read. The commands' writes are held and run
   * as batches, one per kind, before anything that could read them (see {@link HeldWrites}). A
   * command that throws drops its held writes; if some had run, they are rolled back to its
   * savepoint, taken just before they ran. Then one append writes the events of all that ran, under
   * one turn of the event sequence, and one commit makes them durable: the store writes and syncs
   * once for the whole group.
   */
  @Override
  public List<RuntimeException> inGroupTransaction(List<Grouped> commands) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    // A missing reference fails the group as a whole (the store aborted its transaction); each
    // command then runs again alone, and the one at fault gets it.
    return translated(() -> jdbi.inTransaction(handle -> runGroup(handle, now, commands)));
  }

  private List<RuntimeException> runGroup(Handle handle, Instant now, List<Grouped> commands) {
    JdbiTx tx = new JdbiTx(handle, now);
    tx.lockAhead(commands);
    List<RuntimeException> failures = new ArrayList<>(commands.size());
    List<JdbiEventLog.Appended> appended = new ArrayList<>(commands.size());
    for (int i = 0; i < commands.size(); i++) {
      Grouped command = commands.get(i);
      tx.beginCommand("command" + i);
      try {
        List<EventDraft> drafts = command.work().apply(tx);
        appended.add(new JdbiEventLog.Appended(command.orgId(), command.correlationId(), drafts));
        failures.add(null);
      } catch (RuntimeException refused) {
        // A store error may have aborted the transaction (PostgreSQL does, for a deadlock found
        // while the command waited for a row without a savepoint of its own), and a later turn
        // held elsewhere must not be waited for: the group fails as a whole.
        if (tx.broken()
            || refused instanceof Turns.Contended
            || refused instanceof org.jdbi.v3.core.JdbiException) {
          throw refused;
        }
        tx.undoCommand();
        if (refused instanceof Refused reported) {
          // The refusal's own events take the command's place in the group's append.
          appended.add(
              new JdbiEventLog.Appended(
                  command.orgId(), command.correlationId(), reported.events()));
        }
        failures.add(refused);
      }
    }
    tx.finish();
    JdbiEventLog.append(handle, now, appended);
    return failures;
  }

  // ---- reads

  @Override
  public Optional<Conversation> conversation(String orgId, String id) {
    return jdbi.withHandle(handle -> find(handle, orgId, id));
  }

  @Override
  public Optional<String> orgOf(String conversationId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT org_id FROM conversation WHERE id = :id")
                .bind("id", conversationId)
                .mapTo(String.class)
                .findOne());
  }

  @Override
  public Optional<Conversation> byIdempotencyKey(String channelId, String key) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT c.org_id, c.id FROM conversation c"
                        + " WHERE c.channel_id = :channel AND c.idempotency_key = :key")
                .bind("channel", channelId)
                .bind("key", key)
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
                .findOne()
                .flatMap(ids -> find(handle, ids[0], ids[1])));
  }

  @Override
  public List<Conversation> openOnList(String orgId, String listId, Set<ConversationState> states) {
    if (states.isEmpty()) {
      return List.of();
    }
    return jdbi.withHandle(
        handle ->
            withParticipantsJoined(
                handle,
                "c.org_id = :org AND c.list_id = :list AND c.state IN (<states>)"
                    + " AND c.pulled_by IS NULL",
                orgId,
                listId,
                states.stream().map(Enum::name).toList()));
  }

  @Override
  public List<Message> messages(String orgId, String conversationId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT id, org_id, conversation_id, sender_type, sender_id, sender_name, text,"
                        + " created_at FROM message WHERE org_id = :org"
                        + " AND conversation_id = :conversation ORDER BY position")
                .bind("org", orgId)
                .bind("conversation", conversationId)
                .map(
                    (rs, ctx) ->
                        new Message(
                            rs.getString("id"),
                            rs.getString("org_id"),
                            rs.getString("conversation_id"),
                            Message.Sender.valueOf(rs.getString("sender_type")),
                            rs.getString("sender_id"),
                            rs.getString("sender_name"),
                            rs.getString("text"),
                            instant(rs, "created_at")))
                .list());
  }

  @Override
  public Optional<String> heldBy(String orgId, String conversationId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT pulled_by FROM conversation WHERE org_id = :org AND id = :id"
                        + " AND pulled_by IS NOT NULL")
                .bind("org", orgId)
                .bind("id", conversationId)
                .mapTo(String.class)
                .findOne());
  }

  @Override
  public List<Conversation> pulledBy(String orgId, String userId) {
    return jdbi.withHandle(
        handle ->
            withParticipantsJoined(
                handle,
                "c.org_id = :org AND c.pulled_by = :list AND c.state <> 'CLOSED'",
                orgId,
                userId,
                null));
  }

  @Override
  public Set<String> subscribedLists(String userId) {
    return jdbi.withHandle(
        handle ->
            new HashSet<>(
                handle
                    .createQuery("SELECT list_id FROM list_subscription WHERE user_id = :user")
                    .bind("user", userId)
                    .mapTo(String.class)
                    .list()));
  }

  @Override
  public Set<String> subscribers(String listId) {
    return jdbi.withHandle(
        handle ->
            new HashSet<>(
                handle
                    .createQuery("SELECT user_id FROM list_subscription WHERE list_id = :list")
                    .bind("list", listId)
                    .mapTo(String.class)
                    .list()));
  }

  @Override
  public List<String> conversationsOf(String userId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT conversation_id FROM participant WHERE user_id = :user"
                        + " ORDER BY joined_at")
                .bind("user", userId)
                .mapTo(String.class)
                .list());
  }

  @Override
  public Joined joined(String userId) {
    return jdbi.withHandle(
        handle -> {
          Set<String> lists = new HashSet<>();
          Set<String> conversations = new HashSet<>();
          Instant[] last = {null};
          handle
              .createQuery(
                  "SELECT 'L' AS kind, list_id AS id, created_at AS at FROM list_subscription"
                      + " WHERE user_id = :user UNION ALL SELECT 'C', conversation_id, joined_at"
                      + " FROM participant WHERE user_id = :user")
              .bind("user", userId)
              .map(
                  (rs, ctx) -> {
                    (rs.getString("kind").equals("L") ? lists : conversations)
                        .add(rs.getString("id"));
                    Instant at = instant(rs, "at");
                    if (last[0] == null || at.isAfter(last[0])) {
                      last[0] = at;
                    }
                    return at;
                  })
              .forEach(at -> {});
          return new Joined(lists, conversations, last[0]);
        });
  }

  @Override
  public Optional<AgentState> agentState(String userId) {
    return jdbi.withHandle(handle -> agentState(handle, userId, false));
  }

  @Override
  public List<String> dueReminders(Instant now, int limit) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT id FROM conversation WHERE remind_at <= :now AND state = 'UNREAD'"
                        + " ORDER BY remind_at LIMIT :limit")
                .bind("now", now)
                .bind("limit", limit)
                .mapTo(String.class)
                .list());
  }

  @Override
  public List<String> dueForInactivity(Instant now, int limit) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT id FROM conversation WHERE inactivity_deadline <= :now"
                        + " AND state <> 'CLOSED' ORDER BY inactivity_deadline LIMIT :limit")
                .bind("now", now)
                .bind("limit", limit)
                .mapTo(String.class)
                .list());
  }

  // ---- shared row mapping

  /**
   * A request with its participants, read in one statement, so that a join committing meanwhile
   * cannot pair the row of one moment with the participants of another.
   */
  private static Optional<Conversation> find(Handle handle, String orgId, String id) {
    return withParticipantsJoined(handle, "c.org_id = :org AND c.id = :id", orgId, id, null)
        .stream()
        .findFirst();
  }

  /** Requests matching {@code condition} with their participants, read in one statement. */
  private static List<Conversation> withParticipantsJoined(
      Handle handle, String condition, String orgId, String key, List<String> states) {
    var query =
        handle
            .createQuery(
                "SELECT "
                    + CONVERSATION_COLUMNS
                    + ", p.user_id AS p_user, u.username AS p_username, p.joined_at AS p_joined"
                    + " FROM conversation c LEFT JOIN participant p ON p.conversation_id = c.id"
                    + " LEFT JOIN app_user u ON u.id = p.user_id WHERE "
                    + condition
                    + " ORDER BY c.priority DESC, c.created_at, c.interaction_number,"
                    + " p.joined_at, p.user_id")
            .bind("org", orgId);
    if (key != null) {
      query.bind("id", key);
      query.bind("list", key);
    }
    if (states != null) {
      query.bindList("states", states);
    }
    Map<String, RowConversation> rows = new java.util.LinkedHashMap<>();
    Map<String, List<Participant>> participants = new HashMap<>();
    query
        .map(
            (rs, ctx) -> {
              String id = rs.getString("id");
              rows.computeIfAbsent(id, k -> uncheckedRow(rs));
              String user = rs.getString("p_user");
              if (user != null) {
                participants
                    .computeIfAbsent(id, k -> new ArrayList<>())
                    .add(
                        new Participant(user, rs.getString("p_username"), instant(rs, "p_joined")));
              }
              return id;
            })
        .list();
    List<Conversation> complete = new ArrayList<>(rows.size());
    rows.forEach((id, row) -> complete.add(row.build(participants.getOrDefault(id, List.of()))));
    return complete;
  }

  private static RowConversation uncheckedRow(ResultSet rs) {
    try {
      return new RowConversation(rs);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Conversation> withParticipants(Handle handle, List<RowConversation> rows) {
    if (rows.isEmpty()) {
      return List.of();
    }
    Map<String, List<Participant>> participants = new HashMap<>();
    handle
        .createQuery(
            "SELECT p.conversation_id, p.user_id, u.username, p.joined_at FROM participant p"
                + " JOIN app_user u ON u.id = p.user_id WHERE p.conversation_id = ANY(:ids)"
                + " ORDER BY p.joined_at, p.user_id")
        .addCustomizer(Plans.EVERY_RUN)
        .bindArray("ids", String.class, rows.stream().map(row -> row.text[0]).toList())
        .map(
            (rs, ctx) ->
                Map.entry(
                    rs.getString(1),
                    new Participant(rs.getString(2), rs.getString(3), instant(rs, "joined_at"))))
        .forEach(
            entry ->
                participants
                    .computeIfAbsent(entry.getKey(), k -> new ArrayList<>())
                    .add(entry.getValue()));
    List<Conversation> complete = new ArrayList<>(rows.size());
    for (RowConversation row : rows) {
      complete.add(row.build(participants.getOrDefault(row.text[0], List.of())));
    }
    return complete;
  }

  /** A conversation row; it becomes a {@link Conversation} once its participants are read. */
  private static final class RowConversation {
    private final String[] text = new String[9];
    private final long interactionNumber;
    private final int priority;
    private final Instant createdAt;
    private final Instant lastActivity;
    private final Instant closedAt;

    RowConversation(ResultSet rs) throws SQLException {
      text[0] = rs.getString("id");
      text[1] = rs.getString("org_id");
      text[2] = rs.getString("list_id");
      text[3] = rs.getString("channel_id");
      text[4] = rs.getString("state");
      text[5] = rs.getString("customer");
      text[6] = rs.getString("channel_customer_identifier");
      text[7] = rs.getString("additional_attributes");
      text[8] = rs.getString("closed_by");
      interactionNumber = rs.getLong("interaction_number");
      priority = rs.getInt("priority");
      createdAt = instant(rs, "created_at");
      lastActivity = instant(rs, "last_customer_activity_at");
      closedAt = instant(rs, "closed_at");
    }

    Conversation build(List<Participant> participants) {
      return new Conversation(
          text[0],
          text[1],
          interactionNumber,
          text[2],
          text[3],
          ConversationState.valueOf(text[4]),
          priority,
          text[5],
          text[6],
          text[7],
          participants,
          createdAt,
          lastActivity,
          closedAt,
          text[8]);
    }
  }

  private static final String AGENT_STATE_SELECT =
      "SELECT user_id, org_id, base_state, reason_code, updated_at FROM agent_state";

  private static Optional<AgentState> agentState(Handle handle, String userId, boolean forUpdate) {
    return handle
        .createQuery(
            AGENT_STATE_SELECT + " WHERE user_id = :user" + (forUpdate ? " FOR UPDATE" : ""))
        .bind("user", userId)
        .map(JdbiRoutingRepository::agentStateRow)
        .findOne();
  }

  private static AgentState agentStateRow(ResultSet rs, StatementContext ctx) throws SQLException {
    return new AgentState(
        rs.getString("user_id"),
        rs.getString("org_id"),
        AgentState.Base.valueOf(rs.getString("base_state")),
        rs.getString("reason_code"),
        instant(rs, "updated_at"));
  }

  // ---- the transaction

  /**
   * Takes a request read with its lock off its list and saves its new state, in one row version:
   * only while nobody holds it and it waits unattended. That nobody is in it was read with the lock
   * (every participant is added under it), so unlike {@link #CLAIM} it keeps its plan ({@link
   * Plans}); the rest stays as a guard.
   */
  private static final String CLAIM_READ =
      "UPDATE conversation SET pulled_by = :user, remind_at = NULL, state = :state,"
          + " closed_at = :closedAt, closed_by = :closedBy,"
          + " inactivity_deadline = CASE WHEN :state = 'CLOSED' THEN NULL"
          + " ELSE inactivity_deadline END"
          + " WHERE id = :id AND pulled_by IS NULL AND state IN ('UNREAD', 'INACTIVE')";

  /**
   * Takes a request not read in this transaction off its list, as {@link #CLAIM_READ} does, only
   * while nobody is in it either.
   */
  private static final String CLAIM =
      CLAIM_READ + " AND NOT EXISTS (SELECT 1 FROM participant p WHERE p.conversation_id = :id)";

  private static final Set<ConversationState> CLAIMABLE =
      java.util.EnumSet.of(ConversationState.UNREAD, ConversationState.INACTIVE);

  private final class JdbiTx implements Tx {
    private final Handle handle;
    private final Instant now;

    /**
     * Requests this transaction locked, as read with their lock and not written since: a command
     * locking one of them again needs no statement. A write of the request forgets it.
     */
    private final Map<String, Conversation> lockedConversations = new HashMap<>();

    /** Agents' states this transaction locked, as read or as it last wrote them. */
    private final Map<String, AgentState> lockedAgentStates = new HashMap<>();

    /**
     * Who holds each request this transaction locked ({@code pulled_by}, null while on its list),
     * as its own writes left it: read with the lock, so {@link #pulledBy} needs no statement.
     */
    private final Map<String, String> holders = new HashMap<>();

    /** Writes not run yet: they run as batches before any statement that could see them. */
    private final HeldWrites held = new HeldWrites();

    /** The savepoint of the group's command running now; null outside a group. */
    private String savepoint;

    /**
     * Whether the running command has taken its savepoint: before the first of its writes that
     * runs. A command refused before any of its writes ran needs none.
     */
    private boolean savepointTaken;

    /** Where the running command's held writes start. */
    private int commandFrom;

    /** Whether the running command wrote (or held a write). */
    private boolean commandWrote;

    /** Whether held writes failed to run (see {@link #flush}). */
    private boolean broken;

    /** Whether any write of this transaction has run (not only been held). */
    private boolean ranWrites;

    JdbiTx(Handle handle, Instant now) {
      this.handle = handle;
      this.now = now;
      Plans.keptInTransaction(handle, dialect);
    }

    /**
     * Locks and reads the rows {@code commands} name, requests first and then agents' states, each
     * kind in one statement and in id order (so two groups on two servers lock in the same order).
     */
    void lockAhead(List<Grouped> commands) {
      Set<String> conversations = new java.util.TreeSet<>();
      Set<String> agents = new java.util.TreeSet<>();
      for (Grouped command : commands) {
        conversations.addAll(command.locks().conversations());
        agents.addAll(command.locks().agents());
      }
      // Their turns first, in order; a turn a command asks for later is only taken when free.
      Turns.rows(handle, conversations);
      if (!conversations.isEmpty()) {
        lockAndRead(conversations);
      }
      if (!agents.isEmpty()) {
        handle
            .createQuery(
                AGENT_STATE_SELECT + " WHERE user_id = ANY(:users) ORDER BY user_id FOR UPDATE")
            .addCustomizer(Plans.EVERY_RUN)
            .bindArray("users", String.class, List.copyOf(agents))
            .map(JdbiRoutingRepository::agentStateRow)
            .forEach(state -> lockedAgentStates.put(state.userId(), state));
      }
    }

    /**
     * Locks the requests {@code ids} (in id order; their turns first) and reads them with their
     * participants and holders into what this transaction has read. Requests that do not exist are
     * skipped.
     */
    private void lockAndRead(Set<String> ids) {
      ids.forEach(id -> Turns.row(handle, id)); // taken already when locked ahead
      List<RowConversation> rows =
          handle
              .createQuery(
                  "SELECT "
                      + CONVERSATION_COLUMNS
                      + ", c.pulled_by FROM conversation c WHERE c.id = ANY(:ids)"
                      + " ORDER BY c.id FOR UPDATE")
              .addCustomizer(Plans.EVERY_RUN)
              .bindArray("ids", String.class, List.copyOf(ids))
              .map(
                  (rs, ctx) -> {
                    holders.put(rs.getString("id"), rs.getString("pulled_by"));
                    return new RowConversation(rs);
                  })
              .list();
      withParticipants(handle, rows).forEach(c -> lockedConversations.put(c.id(), c));
    }

    /** A command of the group starts; its savepoint is {@code name}. */
    void beginCommand(String name) {
      savepoint = name;
      savepointTaken = false;
      commandFrom = held.size();
      commandWrote = false;
    }

    /** The commands are done: their held writes run (before the events are appended). */
    void finish() {
      savepoint = null;
      flush();
    }

    /**
     * The running command threw: what it wrote is undone (held writes dropped, run ones rolled back
     * to its savepoint), and when it wrote, what this transaction read is read again when needed.
     */
    void undoCommand() {
      held.dropFrom(commandFrom);
      if (savepointTaken) {
        handle.rollbackToSavepoint(savepoint);
      }
      if (commandWrote) {
        holders.clear();
        lockedConversations.clear();
        lockedAgentStates.clear();
      }
    }

    /**
     * Runs the held writes: before any statement that could see them. The running command's own run
     * after its savepoint, the earlier commands' before it. When one fails, the transaction is
     * {@linkplain #broken() broken}: the writes may be another command's, or half run.
     */
    private void flush() {
      if (held.size() == 0) {
        return;
      }
      try {
        if (savepoint != null && !savepointTaken && held.size() > commandFrom) {
          held.run(handle, 0, commandFrom);
          commandFrom = 0; // what is left is the running command's own
          handle.savepoint(savepoint);
          savepointTaken = true;
        }
        held.run(handle, 0, held.size());
        commandFrom = 0;
        ranWrites = true;
      } catch (RuntimeException | Error failed) {
        broken = true;
        throw failed;
      }
    }

    /**
     * Whether a write of this transaction has run, or failed to: outside a group, with no
     * savepoint, it can then only be undone by rolling the transaction back.
     */
    boolean ranWrites() {
      return ranWrites || broken;
    }

    /**
     * Whether held writes failed: then no command's undo can be trusted, and the group fails as a
     * whole (its commands then run again alone, each with its own outcome).
     */
    boolean broken() {
      return broken;
    }

    /** Before a write that runs at once: held writes run first, then the command's savepoint. */
    private void writing() {
      flush();
      ranWrites = true;
      if (savepoint != null && !savepointTaken) {
        handle.savepoint(savepoint);
        savepointTaken = true;
      }
      commandWrote = true;
    }

    /** Before a write of request {@code id} that runs at once. */
    private void writingConversation(String id) {
      writing();
      lockedConversations.remove(id);
    }

    /** Holds a write of {@code row} (see {@link HeldWrites}) for the running command. */
    private void hold(
        String sql, String row, Consumer<PreparedBatch> arguments, boolean exactlyOne) {
      held.hold(sql, row, arguments, exactlyOne);
      commandWrote = true;
    }

    /** Holds a write of request {@code id}; what was read of it is no longer current. */
    private void holdConversationWrite(
        String id, String sql, Consumer<PreparedBatch> arguments, boolean exactlyOne) {
      hold(sql, id, arguments, exactlyOne);
      lockedConversations.remove(id);
    }

    @Override
    public Instant now() {
      return now;
    }

    @Override
    public long nextInteractionNumber() {
      return handle.createQuery("SELECT nextval('interaction_number_seq')").mapTo(Long.class).one();
    }

    @Override
    public boolean insertConversation(
        Conversation conversation,
        String idempotencyKey,
        Instant remindAt,
        Instant inactivityDeadline) {
      writingConversation(conversation.id());
      // ON CONFLICT, not a caught unique violation: PostgreSQL would abort the transaction, and
      // with it every other command of its group (see inGroupTransaction).
      int inserted =
          handle
              .createUpdate(
                  "INSERT INTO conversation (id, org_id, list_id, channel_id, state, priority,"
                      + " created_at, interaction_number, customer, channel_customer_identifier,"
                      + " additional_attributes, idempotency_key, last_customer_activity_at,"
                      + " remind_at, inactivity_deadline) VALUES (:id, :org, :list, :channel,"
                      + " :state, :priority, :createdAt, :number, :customer, :identifier,"
                      + " :attributes, :key, :createdAt, :remindAt, :deadline)"
                      + " ON CONFLICT DO NOTHING")
              .bind("id", conversation.id())
              .bind("org", conversation.orgId())
              .bind("list", conversation.listId())
              .bind("channel", conversation.channelId())
              .bind("state", conversation.state().name())
              .bind("priority", conversation.priority())
              .bind("createdAt", conversation.createdAt())
              .bind("number", conversation.interactionNumber())
              .bind("customer", conversation.customer())
              .bind("identifier", conversation.channelCustomerIdentifier())
              .bind("attributes", conversation.additionalAttributes())
              .bind("key", idempotencyKey)
              .bind("remindAt", remindAt)
              .bind("deadline", inactivityDeadline)
              .execute();
      if (inserted == 0 && idempotencyKey == null) {
        throw new IllegalStateException("conversation " + conversation.id() + " exists already");
      }
      return inserted == 1;
    }

    @Override
    public Optional<Long> interactionNumber(String orgId, String id) {
      Conversation read = lockedConversations.get(id);
      if (read != null) {
        return Optional.of(read.interactionNumber()).filter(n -> read.orgId().equals(orgId));
      }
      // The number never changes: no held write needs to run first.
      return handle
          .createQuery(
              "SELECT interaction_number FROM conversation WHERE org_id = :org AND id = :id")
          .bind("org", orgId)
          .bind("id", id)
          .mapTo(Long.class)
          .findOne();
    }

    /** The row is locked first; participants only change under that lock. */
    @Override
    public Optional<Conversation> lockConversation(String orgId, String id) {
      if (!lockedConversations.containsKey(id)) {
        flush();
        lockAndRead(Set.of(id));
      }
      return Optional.ofNullable(lockedConversations.get(id))
          .filter(locked -> locked.orgId().equals(orgId));
    }

    @Override
    public void saveState(Conversation conversation) {
      holdConversationWrite(
          conversation.id(),
          "UPDATE conversation SET state = :state, closed_at = :closedAt,"
              + " closed_by = :closedBy,"
              + " remind_at = CASE WHEN :state = 'UNREAD' THEN remind_at ELSE NULL END,"
              + " inactivity_deadline = CASE WHEN :state = 'CLOSED' THEN NULL"
              + " ELSE inactivity_deadline END WHERE id = :id",
          batch ->
              batch
                  .bind("id", conversation.id())
                  .bind("state", conversation.state().name())
                  .bind("closedAt", conversation.closedAt())
                  .bind("closedBy", conversation.closedBy()),
          false);
    }

    @Override
    public void addParticipant(String conversationId, Participant participant) {
      holdConversationWrite(
          conversationId,
          "INSERT INTO participant (conversation_id, user_id, joined_at)"
              + " VALUES (:conversation, :user, :joinedAt)",
          batch ->
              batch
                  .bind("conversation", conversationId)
                  .bind("user", participant.userId())
                  .bind("joinedAt", participant.joinedAt()),
          false);
    }

    @Override
    public void removeParticipant(String conversationId, String userId) {
      holdConversationWrite(
          conversationId,
          "DELETE FROM participant WHERE conversation_id = :conversation AND user_id = :user",
          batch -> batch.bind("conversation", conversationId).bind("user", userId),
          false);
    }

    @Override
    public void removeParticipants(String conversationId) {
      holdConversationWrite(
          conversationId,
          "DELETE FROM participant WHERE conversation_id = :conversation",
          batch -> batch.bind("conversation", conversationId),
          false);
    }

    @Override
    public void touchCustomerActivity(
        String conversationId, Instant when, Instant inactivityDeadline) {
      holdConversationWrite(
          conversationId,
          "UPDATE conversation SET last_customer_activity_at = :when,"
              + " inactivity_deadline = :deadline WHERE id = :id",
          batch ->
              batch
                  .bind("id", conversationId)
                  .bind("when", when)
                  .bind("deadline", inactivityDeadline),
          false);
    }

    @Override
    public void scheduleReminder(String conversationId, Instant remindAt) {
      holdConversationWrite(
          conversationId,
          "UPDATE conversation SET remind_at = :remindAt WHERE id = :id",
          batch -> batch.bind("id", conversationId).bind("remindAt", remindAt),
          false);
    }

    @Override
    public boolean claimReminder(String conversationId, Instant due, Instant next) {
      writingConversation(conversationId);
      return handle
              .createUpdate(
                  "UPDATE conversation SET remind_at = :next WHERE id = :id AND state = 'UNREAD'"
                      + " AND remind_at <= :due")
              .bind("id", conversationId)
              .bind("due", due)
              .bind("next", next)
              .execute()
          == 1;
    }

    @Override
    public void insertMessage(Message message) {
      hold(
          "INSERT INTO message (id, org_id, conversation_id, sender_type, sender_id,"
              + " sender_name, text, created_at) VALUES (:id, :org, :conversation, :sender,"
              + " :senderId, :senderName, :text, :createdAt)",
          message.conversationId(),
          batch ->
              batch
                  .bind("id", message.id())
                  .bind("org", message.orgId())
                  .bind("conversation", message.conversationId())
                  .bind("sender", message.sender().name())
                  .bind("senderId", message.senderId())
                  .bind("senderName", message.senderName())
                  .bind("text", message.text())
                  .bind("createdAt", message.createdAt()),
          false);
    }

    @Override
    public AgentState lockAgentState(String orgId, String userId) {
      AgentState locked = lockedAgentStates.get(userId);
      if (locked != null) {
        return locked;
      }
      flush();
      Optional<AgentState> existing = agentState(handle, userId, true);
      if (existing.isPresent()) {
        lockedAgentStates.put(userId, existing.get());
        return existing.get();
      }
      writing();
      handle
          .createUpdate(
              "INSERT INTO agent_state (user_id, org_id, base_state, reason_code, updated_at)"
                  + " VALUES (:user, :org, 'NOT_READY', NULL, :now) ON CONFLICT DO NOTHING")
          .bind("user", userId)
          .bind("org", orgId)
          .bind("now", now)
          .execute();
      AgentState created =
          agentState(handle, userId, true)
              .orElseThrow(() -> new IllegalStateException("agent_state row vanished"));
      lockedAgentStates.put(userId, created);
      return created;
    }

    @Override
    public void saveAgentState(AgentState state) {
      hold(
          "UPDATE agent_state SET base_state = :base, reason_code = :reason,"
              + " updated_at = :updatedAt WHERE user_id = :user",
          "agent " + state.userId(),
          batch ->
              batch
                  .bind("user", state.userId())
                  .bind("base", state.base().name())
                  .bind("reason", state.reasonCode())
                  .bind("updatedAt", state.updatedAt()),
          false);
      // What the row now holds (its organization never changes).
      lockedAgentStates.put(state.userId(), state);
    }

    @Override
    public int openConversationCount(String userId) {
      flush();
      return handle
          .createQuery("SELECT COUNT(*) FROM participant WHERE user_id = :user")
          .addCustomizer(Plans.EVERY_RUN)
          .bind("user", userId)
          .mapTo(Integer.class)
          .one();
    }

    @Override
    public boolean subscribeIfAllowed(String orgId, String userId, String listId) {
      flush();
      // The rows the permission rests on, locked in this order (every subscribe takes them so):
      // the list (its owner), its owning group (members, places), the user (place, roles). An
      // administrator's change updates one of these rows before anything else: it either committed
      // before these locks, and the check below sees it, or it waits for this transaction to end,
      // and then ends the subscription in its own (JdbiAdminRepository).
      String[] owners =
          handle
              .createQuery(
                  "SELECT agent_group_id, place_group_id FROM work_list"
                      + " WHERE org_id = :org AND id = :list "
                      + dialect.sharedRowLock())
              .bind("org", orgId)
              .bind("list", listId)
              .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
              .findOne()
              .orElse(null);
      if (owners == null) {
        // Deleted since the caller read it (through another node, say).
        throw new NotFound("list", listId);
      }
      if (owners[0] != null) {
        lockShared("agent_group", owners[0]);
      } else if (owners[1] != null) {
        lockShared("place_group", owners[1]);
      }
      lockShared("app_user", userId);
      boolean allowed =
          handle
                  .createQuery(
                      "SELECT COUNT(*) FROM list_permission WHERE user_id = :user AND list_id = :list")
                  .bind("user", userId)
                  .bind("list", listId)
                  .mapTo(Integer.class)
                  .one()
              > 0;
      if (!allowed) {
        return false;
      }
      writing();
      handle
          .createUpdate(
              "INSERT INTO list_subscription (user_id, list_id, org_id, created_at)"
                  + " VALUES (:user, :list, :org, :now) ON CONFLICT DO NOTHING")
          .bind("user", userId)
          .bind("list", listId)
          .bind("org", orgId)
          .bind("now", now)
          .execute();
      return true;
    }

    /** Locks row {@code id} of {@code table} with {@link Dialect#sharedRowLock}. */
    private void lockShared(String table, String id) {
      handle
          .createQuery("SELECT id FROM " + table + " WHERE id = :id " + dialect.sharedRowLock())
          .bind("id", id)
          .mapTo(String.class)
          .findOne();
    }

    @Override
    public boolean unsubscribe(String userId, String listId) {
      writing();
      return handle
              .createUpdate(
                  "DELETE FROM list_subscription WHERE user_id = :user AND list_id = :list")
              .bind("user", userId)
              .bind("list", listId)
              .execute()
          == 1;
    }

    @Override
    public String pulledBy(String conversationId) {
      if (holders.containsKey(conversationId)) {
        return holders.get(conversationId);
      }
      flush();
      return handle
          .createQuery("SELECT pulled_by FROM conversation WHERE id = :id")
          .bind("id", conversationId)
          .mapTo(String.class)
          .findOne()
          .orElse(null);
    }

    /**
     * When this transaction read the request with its lock and has not written it since, whether it
     * can be claimed is known without a statement; the update is held (and must change the row).
     */
    @Override
    public boolean claim(String conversationId, String userId, Conversation after) {
      Conversation read = lockedConversations.get(conversationId);
      if (read != null) {
        if (holders.get(conversationId) != null
            || !CLAIMABLE.contains(read.state())
            || !read.participants().isEmpty()) {
          return false;
        }
        holdConversationWrite(
            conversationId, CLAIM_READ, batch -> claimArguments(batch, userId, after), true);
      } else {
        writingConversation(conversationId);
        Update claim = handle.createUpdate(CLAIM).addCustomizer(Plans.EVERY_RUN);
        if (claimArguments(claim, userId, after).execute() != 1) {
          return false;
        }
      }
      holders.put(conversationId, userId);
      return true;
    }

    private static <S extends org.jdbi.v3.core.statement.SqlStatement<S>> S claimArguments(
        S statement, String userId, Conversation after) {
      return statement
          .bind("id", after.id())
          .bind("user", userId)
          .bind("state", after.state().name())
          .bind("closedAt", after.closedAt())
          .bind("closedBy", after.closedBy());
    }

    @Override
    public void claimHeld(String conversationId, String userId) {
      holdConversationWrite(
          conversationId,
          "UPDATE conversation SET pulled_by = :user, remind_at = NULL WHERE id = :id",
          batch -> batch.bind("id", conversationId).bind("user", userId),
          false);
      holders.put(conversationId, userId);
    }

    @Override
    public void moveToList(String conversationId, String listId) {
      holdConversationWrite(
          conversationId,
          "UPDATE conversation SET pulled_by = NULL, list_id = :list WHERE id = :id",
          batch -> batch.bind("id", conversationId).bind("list", listId),
          false);
      holders.put(conversationId, null);
    }

    @Override
    public long nextReferenceId() {
      return referenceIds.next(handle);
    }

    @Override
    public List<Event> append(String orgId, String correlationId, List<EventDraft> drafts) {
      if (savepoint != null) {
        // Undoing a command rolls back to its savepoint, which tells no one: events appended in
        // it would still be handed to the hub at commit. A group appends once, after its commands.
        throw new IllegalStateException("a command of a group appended events itself");
      }
      flush();
      ranWrites = true;
      return JdbiEventLog.append(handle, now, orgId, correlationId, drafts);
    }
  }
}
