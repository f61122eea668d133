package io.pullroute.routing;

import io.pullroute.events.Event;
import io.pullroute.events.EventDraft;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** What routing needs from the store, in domain terms. */
public interface RoutingRepository {

  /**
   * Runs {@code work} in one transaction: its state changes and the events it appends commit
   * together or not at all.
   */
  <T> T inTransaction(Function<Tx, T> work);

  /**
   * A command of a group: its work returns the events to append for it. {@code locks} names the
   * rows it will lock, so that a group can lock them all with one statement before its commands
   * run.
   */
  record Grouped(
      String orgId, String correlationId, Locks locks, Function<Tx, List<EventDraft>> work) {}

  /**
   * The rows a command will lock, known before it runs: requests (by id) and agents' states (by
   * user id). A hint, not a promise: a command may lock rows it did not name, and names no row it
   * may not lock.
   */
  record Locks(Set<String> conversations, Set<String> agents) {
    public static final Locks NONE = new Locks(Set.of(), Set.of());

    public static Locks conversation(String conversationId) {
      return new Locks(Set.of(conversationId), Set.of());
    }

    public static Locks agent(String agentId) {
      return new Locks(Set.of(), Set.of(agentId));
    }

    /** A request, and the state of the agent working on it. */
    public static Locks of(String conversationId, String agentId) {
      return new Locks(Set.of(conversationId), Set.of(agentId));
    }

    public boolean isEmpty() {
      return conversations.isEmpty() && agents.isEmpty();
    }
  }

  /**
   * Runs {@code command} in a transaction of its own and appends its events; throws what it threw.
   * When it is {@link Refused}, what it wrote is undone and the refusal's events are appended in
   * its place. This default commits them in a second transaction.
   */
  default void runAlone(Grouped command) {
    try {
      inTransaction(
          tx -> tx.append(command.orgId(), command.correlationId(), command.work().apply(tx)));
    } catch (Refused refused) {
      inTransaction(tx -> tx.append(command.orgId(), command.correlationId(), refused.events()));
      throw refused;
    }
  }

  /**
   * Runs {@code commands} in one transaction, in order, each on what the ones before it wrote. A
   * command that throws is undone alone (the others still commit); the events of the rest are
   * appended in command order and commit with them. Answers, per command, what it threw or null.
   * Throws when the group as a whole failed (nothing of it committed).
   *
   * <p>The transaction holds the locks of every command until it ends. An implementation may take
   * the rows named by the commands' {@link Locks} first, all at once; a row a command locks without
   * having named it may then make the group fail as a whole rather than wait (see {@link
   * GroupCommit}). This default runs each command in a transaction of its own.
   */
  default List<RuntimeException> inGroupTransaction(List<Grouped> commands) {
    List<RuntimeException> failures = new java.util.ArrayList<>(commands.size());
    for (Grouped command : commands) {
      try {
        runAlone(command);
        failures.add(null);
      } catch (RuntimeException refused) {
        failures.add(refused);
      }
    }
    return failures;
  }

  Optional<Conversation> conversation(String orgId, String id);

  /** The organization of a request, for timers that work across organizations. */
  Optional<String> orgOf(String conversationId);

  Optional<Conversation> byIdempotencyKey(String channelId, String key);

  /** Open requests of a list in the given states, highest priority first, then oldest first. */
  List<Conversation> openOnList(String orgId, String listId, Set<ConversationState> states);

  List<Message> messages(String orgId, String conversationId);

  /** Who holds a request in their own workbin; empty while it is on its list. */
  Optional<String> heldBy(String orgId, String conversationId);

  /** Open requests in {@code userId}'s own workbin, oldest first. */
  List<Conversation> pulledBy(String orgId, String userId);

  Set<String> subscribedLists(String userId);

  /** Subscribers of a list. */
  Set<String> subscribers(String listId);

  /** The ids of the open conversations {@code userId} is in. */
  List<String> conversationsOf(String userId);

  /**
   * The lists {@code userId} is subscribed to and the open conversations it is in, with when it
   * last subscribed to or joined one of them, in one read.
   */
  io.pullroute.events.Joined joined(String userId);

  Optional<AgentState> agentState(String userId);

  /** UNREAD requests on lists with a reminder, waiting since before their list's threshold. */
  List<String> dueReminders(Instant now, int limit);

  /** Open requests whose customer has been silent longer than their channel allows. */
  List<String> dueForInactivity(Instant now, int limit);

  /** The transaction of a command. Not thread-safe; used by one command at a time. */
  interface Tx {
    Instant now();

    /** The next integer interaction id. */
    long nextInteractionNumber();

    /**
     * The integer interaction id of a request (for an error event about it): as this transaction
     * read it, with no statement, when it locked the request.
     */
    Optional<Long> interactionNumber(String orgId, String id);

    /**
     * Inserts a new request; false when its idempotency key was used meanwhile. {@code remindAt}
     * and {@code inactivityDeadline} (both may be null) schedule its timers.
     */
    boolean insertConversation(
        Conversation conversation,
        String idempotencyKey,
        Instant remindAt,
        Instant inactivityDeadline);

    /**
     * Reads and locks a request until the transaction ends. Call it before any other lock of the
     * transaction: it first queues in this process (see {@link io.pullroute.store.Turns}).
     */
    Optional<Conversation> lockConversation(String orgId, String id);

    void saveState(Conversation conversation);

    void addParticipant(String conversationId, Participant participant);

    void removeParticipant(String conversationId, String userId);

    void removeParticipants(String conversationId);

    /** Records customer activity and moves the inactivity deadline (null: none). */
    void touchCustomerActivity(String conversationId, Instant when, Instant inactivityDeadline);

    /** Schedules the next reminder (null: none). */
    void scheduleReminder(String conversationId, Instant remindAt);

    /**
     * Claims the reminder of an UNREAD request due by {@code now}: schedules the next at {@code
     * next}, in one update that only one timer (of any node) can win. False when it was not due
     * (another timer claimed it first, or it is no longer UNREAD): then nothing changed.
     */
    boolean claimReminder(String conversationId, Instant now, Instant next);

    void insertMessage(Message message);

    /** Reads and locks an agent's state, creating the initial one. */
    AgentState lockAgentState(String orgId, String userId);

    void saveAgentState(AgentState state);

    /** How many open conversations {@code userId} is in, as this transaction sees it. */
    int openConversationCount(String userId);

    /**
     * Subscribes {@code userId} to {@code listId} (if not already) when it may work on the list as
     * the store has it now; false, and nothing changed, when it may not (or the user is gone); a
     * {@link io.pullroute.common.PullrouteException.NotFound} when the list is gone. What that
     * permission rests on (the list's owner, its owning group's members or places, the user's place
     * and roles) stays locked until the transaction ends: an administrator's change of it either
     * committed before, and is seen here, or waits for this transaction and then ends the
     * subscription it no longer allows (see {@code list_permission} in the migrations).
     */
    boolean subscribeIfAllowed(String orgId, String userId, String listId);

    boolean unsubscribe(String userId, String listId);

    /** Who holds the request in their own workbin, or null while it is on its list. */
    String pulledBy(String conversationId);

    /**
     * Takes a request off its list into {@code userId}'s workbin and saves {@code after}, its state
     * once claimed (as {@link #saveState} would), in one update that only one caller can win. False
     * when it was not on its list, unattended (UNREAD or INACTIVE): then nothing changed.
     */
    boolean claim(String conversationId, String userId, Conversation after);

    /** Keeps a request the agent works on in its own workbin (off its list). */
    void claimHeld(String conversationId, String userId);

    /** Puts a request (back) on {@code listId}, out of any agent's workbin. */
    void moveToList(String conversationId, String listId);

    /** The next {@code referenceId} of the workbin API. */
    long nextReferenceId();

    /**
     * Appends events; must be the last write of the transaction (see {@code JdbiEventLog}). Not in
     * a command of a group: the group appends its commands' events itself.
     */
    List<Event> append(String orgId, String correlationId, List<EventDraft> drafts);
  }
}
