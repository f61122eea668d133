package io.pullroute.routing;

import io.pullroute.admin.AdminRepository;
import io.pullroute.admin.Channel;
import io.pullroute.admin.MemberGroup;
import io.pullroute.admin.PlaceGroup;
import io.pullroute.admin.User;
import io.pullroute.admin.WorkList;
import io.pullroute.auth.Principal;
import io.pullroute.auth.Scopes;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException;
import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.events.Audience;
import io.pullroute.events.AudienceChanges;
import io.pullroute.events.EventDraft;
import io.pullroute.routing.RoutingRepository.Locks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Pull-mode routing commands: intake, join, leave, close, messages, subscriptions, agent state.
 * Each command is one transaction that changes state and appends the events it causes; the commit
 * hands them to the hub (see {@link io.pullroute.events.CommittedEvents}). Thread-safe.
 */
public final class RoutingService {
  public static final Set<ConversationState> OPEN =
      EnumSet.of(ConversationState.UNREAD, ConversationState.ACTIVE, ConversationState.INACTIVE);

  private final RoutingRepository repository;
  private final AdminRepository admin;
  private final GroupCommit group;
  private volatile AudienceChanges audienceChanges = AudienceChanges.NONE;
  private volatile Consumer<String> subscriptionsChanged = listId -> {};

  public RoutingService(RoutingRepository repository, AdminRepository admin) {
    this(repository, admin, 1);
  }

  /** With {@code committers} groups of commands committing at once (see {@link GroupCommit}). */
  public RoutingService(RoutingRepository repository, AdminRepository admin, int committers) {
    this.repository = repository;
    this.admin = admin;
    this.group = new GroupCommit(repository, committers);
  }

  /**
   * Tells {@code listener} the id of every user whose default audience a command changed: a
   * subscription, a join, a leave, a close. Streaming sessions listen to refresh what they hear.
   */
  public void onAudienceChange(AudienceChanges listener) {
    this.audienceChanges = listener;
  }

  /**
   * Tells {@code listener} the id of every list whose subscriptions a command of this server
   * changed through {@code /api/v1/me/subscriptions}, which appends no event for it (the workbin
   * API's Subscribe and Unsubscribe do, and every server sees those).
   */
  public void onSubscriptionChange(Consumer<String> listener) {
    this.subscriptionsChanged = listener;
  }

  /** A new request from a channel connector. */
  public record Intake(
      String customer,
      String channelCustomerIdentifier,
      int priority,
      String additionalAttributes,
      String text,
      String idempotencyKey) {}

  /** The request, and whether this call created it (false: an earlier call with the same key). */
  public record IntakeResult(Conversation conversation, boolean created) {}

  // ---- intake

  public IntakeResult intake(String orgId, String channelId, Intake intake, String correlationId) {
    Channel channel =
        admin.findChannel(orgId, channelId).orElseThrow(() -> new NotFound("channel", channelId));
    if (!channel.parksOnList()) {
      throw new Conflict(
          "channelId",
          "channel " + channelId + " is in " + channel.routingMode() + " mode, not PULL");
    }
    WorkList list =
        admin
            .findListDefinition(orgId, channel.listId())
            .orElseThrow(() -> new IllegalStateException("PULL channel without its list"));
    if (intake.idempotencyKey() != null) {
      Optional<Conversation> earlier =
          repository.byIdempotencyKey(channelId, intake.idempotencyKey());
      if (earlier.isPresent()) {
        return new IntakeResult(earlier.get(), false);
      }
    }
    Optional<Conversation> created =
        commit(
            orgId,
            correlationId,
            tx -> {
              Instant now = tx.now();
              Conversation conversation =
                  new Conversation(
                      Ids.newId(),
                      orgId,
                      tx.nextInteractionNumber(),
                      list.id(),
                      channel.id(),
                      ConversationState.UNREAD,
                      intake.priority(),
                      intake.customer(),
                      intake.channelCustomerIdentifier(),
                      intake.additionalAttributes(),
                      List.of(),
                      now,
                      now,
                      null,
                      null);
              Instant remindAt =
                  list.reminderAfterSeconds() == null
                      ? null
                      : now.plusSeconds(list.reminderAfterSeconds());
              if (!tx.insertConversation(
                  conversation, intake.idempotencyKey(), remindAt, deadline(channel, now))) {
                return Outcome.<Optional<Conversation>>of(Optional.empty(), List.of());
              }
              List<EventDraft> events = new ArrayList<>();
              events.add(
                  RoutingEvents.listRequest(
                      RoutingEvents.RECEIVED, conversation, channel, now, null));
              events.addAll(parked.of(conversation, tx::nextReferenceId));
              if (intake.text() != null) {
                tx.insertMessage(customerMessage(conversation, intake.text(), now));
                events.add(
                    RoutingEvents.text(
                        conversation,
                        RoutingEvents.CUSTOMER,
                        RoutingEvents.customerName(conversation),
                        null,
                        intake.text()));
              }
              return Outcome.of(Optional.of(conversation), events);
            });
    if (created.isPresent()) {
      return new IntakeResult(created.get(), true);
    }
    // Another call with the same key committed between our look-up and our insert.
    return new IntakeResult(
        repository
            .byIdempotencyKey(channelId, intake.idempotencyKey())
            .orElseThrow(() -> new IllegalStateException("idempotency key without request")),
        false);
  }

  private static Instant deadline(Channel channel, Instant from) {
    Integer timeout = channel.customerActivityTimeout();
    return timeout == null || timeout == 0 ? null : from.plusSeconds(timeout);
  }

  private static Message customerMessage(Conversation conversation, String text, Instant now) {
    return new Message(
        Ids.newId(),
        conversation.orgId(),
        conversation.id(),
        Message.Sender.CUSTOMER,
        null,
        RoutingEvents.customerName(conversation),
        text,
        now);
  }

  // ---- reads

  public Conversation conversation(Principal principal, String id) {
    Conversation conversation = find(principal, id);
    checkReader(principal, conversation);
    return conversation;
  }

  public List<Message> messages(Principal principal, String id) {
    Conversation conversation = conversation(principal, id);
    return repository.messages(conversation.orgId(), conversation.id());
  }

  public List<Conversation> onList(
      Principal principal, String listId, Set<ConversationState> states) {
    WorkList list = list(principal.orgId(), listId);
    if (principal.isUser() && !mayWorkOn(principal, list)) {
      throw new Forbidden("not allowed on list " + listId);
    }
    return repository.openOnList(principal.orgId(), listId, states);
  }

  private Conversation find(Principal principal, String id) {
    return repository
        .conversation(principal.orgId(), id)
        .orElseThrow(() -> new NotFound("conversation", id));
  }

  private void checkReader(Principal principal, Conversation conversation) {
    if (!principal.isUser()
        || isSupervisor(principal)
        || conversation.hasParticipant(principal.subject())) {
      return;
    }
    if (!mayWorkOn(principal, list(principal.orgId(), conversation.listId()))) {
      throw new Forbidden("not allowed to read conversation " + conversation.id());
    }
  }

  // ---- join, leave, close

  public Conversation join(Principal principal, String id, String correlationId) {
    User agent = agent(principal);
    return changingAudience(
        () -> {
          Conversation current = find(principal, id);
          Channel channel = channel(current);
          return commitReporting(
              principal,
              id,
              correlationId,
              Locks.of(id, agent.id()),
              tx -> {
                Conversation locked = lock(tx, principal.orgId(), id);
                // The list as locked: a move committed meanwhile (through another node, say)
                // decides, not the list read before the lock.
                if (!isSupervisor(principal)
                    && !mayWorkOn(principal, list(principal.orgId(), locked.listId()))) {
                  throw new Forbidden("not allowed on list " + locked.listId());
                }
                if (locked.hasParticipant(agent.id())) {
                  return Outcome.of(locked, List.of()); // joining again changes nothing
                }
                String heldBy = tx.pulledBy(id);
                if (heldBy != null) {
                  throw new Conflict(
                      "conversation", "conversation " + id + " is in another agent's workbin");
                }
                Participant participant = new Participant(agent.id(), agent.username(), tx.now());
                Conversation joined = locked.join(participant);
                tx.lockAgentState(principal.orgId(), agent.id());
                tx.addParticipant(id, participant);
                tx.saveState(joined);
                List<EventDraft> events = new ArrayList<>();
                events.add(
                    RoutingEvents.listRequest(
                        RoutingEvents.UPDATED, joined, channel, tx.now(), null));
                events.add(
                    RoutingEvents.agentEntity(
                        "EntityAdded", joined, agent.id(), displayName(agent)));
                events.add(
                    RoutingEvents.entity(
                        "EntityList",
                        joined,
                        RoutingEvents.CUSTOMER,
                        RoutingEvents.customerId(joined),
                        RoutingEvents.customerName(joined),
                        agent.id(),
                        Set.of(Audience.user(agent.id()))));
                for (Participant other : joined.participants()) {
                  events.add(
                      RoutingEvents.entity(
                          "EntityList",
                          joined,
                          RoutingEvents.AGENT,
                          other.userId(),
                          nameOf(joined.orgId(), other),
                          agent.id(),
                          Set.of(Audience.user(agent.id()))));
                }
                events.add(RoutingEvents.active(agent.id(), joined, channel));
                return Outcome.of(joined, events);
              });
        },
        agent.id());
  }

  public Conversation leave(Principal principal, String id, String correlationId) {
    User agent = agent(principal);
    return changingAudience(
        () -> {
          Conversation current = find(principal, id);
          Channel channel = channel(current);
          return commitReporting(
              principal,
              id,
              correlationId,
              Locks.of(id, agent.id()),
              tx -> {
                Conversation locked = lock(tx, principal.orgId(), id);
                Conversation left = locked.leave(agent.id());
                AgentState state = tx.lockAgentState(principal.orgId(), agent.id());
                String holder = tx.pulledBy(id);
                boolean wasHeld = holder != null;
                tx.removeParticipant(id, agent.id());
                tx.saveState(left);
                if (wasHeld) {
                  // Its agent left a request it had pulled: it goes back on its list.
                  tx.moveToList(id, left.listId());
                }
                List<EventDraft> events = new ArrayList<>();
                events.add(
                    RoutingEvents.agentEntity(
                        "EntityRemoved", left, agent.id(), displayName(agent)));
                events.add(
                    RoutingEvents.listRequest(
                        wasHeld ? RoutingEvents.RECEIVED : RoutingEvents.UPDATED,
                        left,
                        channel,
                        tx.now(),
                        null));
                events.addAll(afterWork(tx, state, left));
                if (wasHeld) {
                  events.addAll(released.of(holder, locked, left, tx.nextReferenceId()));
                }
                return Outcome.of(left, events);
              });
        },
        agent.id());
  }

  /**
   * Events for a request leaving a workbin other than by a workbin operation, in the same
   * transaction: its agent left it (from the agent's own workbin back to its list), or it was
   * closed ({@code holder} null when it was on its list, in its group's workbin if it has one).
   */
  public interface Released {
    List<EventDraft> of(String holder, Conversation before, Conversation after, long referenceId);
  }

  private volatile Released released = (holder, before, after, referenceId) -> List.of();

  /** Who adds the workbin notifications of a request leaving an agent's own workbin. */
  public void onReleased(Released hook) {
    this.released = hook;
  }

  /**
   * Events for a new request parked on its list, in the same transaction; {@code referenceId} takes
   * a new one, for events that need it.
   */
  public interface Parked {
    List<EventDraft> of(Conversation parked, java.util.function.LongSupplier referenceId);
  }

  private volatile Parked parked = (conversation, referenceId) -> List.of();

  /** Who adds the workbin notifications of a new request. */
  public void onParked(Parked hook) {
    this.parked = hook;
  }

  /** Events a caller adds to a pull or an add, in the same transaction (the workbin API's). */
  public interface ExtraEvents {
    List<EventDraft> of(Conversation before, Conversation after, long referenceId);
  }

  /**
   * Events a caller adds to an add, in the same transaction; {@code holder} is whose own workbin
   * the request was in, as read with its row lock (null: it was on its list).
   */
  public interface AddedEvents {
    List<EventDraft> of(String holder, Conversation before, Conversation after, long referenceId);
  }

  /** What a workbin operation did, with the {@code referenceId} of its notifications. */
  public record WorkbinResult(Conversation conversation, long referenceId) {}

  /**
   * Exclusive pull: takes a request waiting unattended on {@code listId} into the agent's own
   * workbin, with the agent as its only participant. However many agents race, the database lets
   * exactly one claim succeed; the others get a 409.
   */
  public WorkbinResult pull(
      Principal principal,
      String id,
      String listId,
      Consumer<Conversation> check,
      ExtraEvents extra,
      String correlationId) {
    User agent = agent(principal);
    return changingAudience(
        () ->
            commitReporting(
                principal,
                id,
                correlationId,
                Locks.of(id, agent.id()),
                tx -> {
                  Conversation locked = lock(tx, principal.orgId(), id);
                  if (!locked.listId().equals(listId)) {
                    throw new NotFound("interaction", id + " in workbin " + listId);
                  }
                  Channel channel = channel(locked);
                  if (tx.pulledBy(id) != null) {
                    throw new Conflict(
                        "conversation", "conversation " + id + " was pulled already");
                  }
                  check.accept(locked);
                  locked.checkPullable();
                  Participant participant = new Participant(agent.id(), agent.username(), tx.now());
                  Conversation pulled = locked.join(participant);
                  if (!tx.claim(id, agent.id(), pulled)) {
                    throw new Conflict(
                        "conversation", "conversation " + id + " was pulled already");
                  }
                  tx.lockAgentState(principal.orgId(), agent.id());
                  tx.addParticipant(id, participant);
                  long referenceId = tx.nextReferenceId();
                  List<EventDraft> events = new ArrayList<>();
                  events.add(
                      RoutingEvents.listRequest(
                          RoutingEvents.REMOVED, pulled, channel, tx.now(), null));
                  events.addAll(extra.of(locked, pulled, referenceId));
                  events.add(
                      RoutingEvents.agentEntity(
                          "EntityAdded", pulled, agent.id(), displayName(agent)));
                  events.add(RoutingEvents.active(agent.id(), pulled, channel));
                  return Outcome.of(new WorkbinResult(pulled, referenceId), events);
                }),
        agent.id());
  }

  /**
   * Puts a request the agent works on into a workbin: a group's ({@code toList} the list id) puts
   * it back on that list, unattended; the agent's own ({@code toList} null) keeps it there for
   * later, with the agent as its only participant; a request in a workbin already is not (409).
   */
  public WorkbinResult addToWorkbin(
      Principal principal,
      String id,
      String toList,
      Consumer<Conversation> check,
      AddedEvents extra,
      String correlationId) {
    User agent = agent(principal);
    return changingAudience(
        () -> {
          Conversation current = find(principal, id);
          Channel channel = channel(current);
          return commitReporting(
              principal,
              id,
              correlationId,
              Locks.conversation(id),
              tx -> {
                Conversation locked = lock(tx, principal.orgId(), id);
                check.accept(locked);
                // Read with the lock, not before it: a pull committed on another node meanwhile
                // is seen, and the add refused, as after the pull.
                String heldBy = tx.pulledBy(id);
                if (toList == null && heldBy != null) {
                  throw new Conflict(
                      "interaction", "interaction " + id + " is in a workbin already");
                }
                if (!locked.hasParticipant(agent.id()) && !isSupervisor(principal)) {
                  throw new Forbidden("only a participant may put " + id + " into a workbin");
                }
                long referenceId = tx.nextReferenceId();
                List<EventDraft> events = new ArrayList<>();
                Conversation after;
                if (toList == null) {
                  if (locked.participants().size() != 1 || !locked.hasParticipant(agent.id())) {
                    throw new Conflict(
                        "conversation",
                        "only the one agent in " + id + " may keep it in its own workbin");
                  }
                  after = locked;
                  if (heldBy == null) {
                    tx.claimHeld(id, agent.id());
                    events.add(
                        RoutingEvents.listRequest(
                            RoutingEvents.REMOVED, after, channel, tx.now(), null));
                  }
                } else {
                  List<AgentState> states = new ArrayList<>();
                  List<Participant> leaving =
                      locked.participants().stream()
                          .sorted(Comparator.comparing(Participant::userId))
                          .toList();
                  for (Participant participant : leaving) {
                    states.add(tx.lockAgentState(principal.orgId(), participant.userId()));
                  }
                  after = locked;
                  for (Participant participant : leaving) {
                    after = after.leave(participant.userId());
                  }
                  after = after.onList(toList);
                  tx.removeParticipants(id);
                  tx.moveToList(id, toList);
                  tx.saveState(after);
                  boolean arrives = heldBy != null || !locked.listId().equals(toList);
                  if (heldBy == null && !locked.listId().equals(toList)) {
                    events.add(
                        RoutingEvents.listRequest(
                            RoutingEvents.REMOVED, locked, channel, tx.now(), null));
                  }
                  events.add(
                      RoutingEvents.listRequest(
                          arrives ? RoutingEvents.RECEIVED : RoutingEvents.UPDATED,
                          after,
                          channel,
                          tx.now(),
                          null));
                  for (int i = 0; i < leaving.size(); i++) {
                    Participant participant = leaving.get(i);
                    events.add(
                        RoutingEvents.agentEntity(
                            "EntityRemoved",
                            after,
                            participant.userId(),
                            nameOf(after.orgId(), participant)));
                    events.addAll(afterWork(tx, states.get(i), after));
                  }
                }
                events.addAll(extra.of(heldBy, locked, after, referenceId));
                return Outcome.of(new WorkbinResult(after, referenceId), events);
              });
        },
        agent.id());
  }

  /** The requests in {@code principal}'s own workbin. */
  public List<Conversation> ownWorkbin(Principal principal) {
    return repository.pulledBy(principal.orgId(), agent(principal).id());
  }

  /** Closes a request: by a participant, a supervisor, or the channel (scope {@code channel}). */
  public Conversation close(Principal principal, String id, String correlationId) {
    if (!principal.isUser()) {
      if (!principal.hasScope(Scopes.CHANNEL)) {
        throw new Forbidden("closing needs scope 'channel'");
      }
      return closeBy(principal.orgId(), id, "channel", correlationId);
    }
    return closeBy(
        principal.orgId(),
        id,
        principal.subject(),
        correlationId,
        principal,
        locked -> {
          // Who is in it as locked: a leave committed meanwhile (through another node, say)
          // decides, not the participants read before the lock.
          if (locked.state() == ConversationState.CLOSED) {
            throw new Conflict("conversation", "conversation " + id + " is already closed");
          }
          if (!isSupervisor(principal) && !locked.hasParticipant(principal.subject())) {
            throw new Forbidden("only a participant, a supervisor or the channel may close " + id);
          }
          return true;
        });
  }

  /** Closes a request on behalf of {@code by} (a user id, {@code channel} or {@code timeout}). */
  Conversation closeBy(String orgId, String id, String by, String correlationId) {
    return closeBy(orgId, id, by, correlationId, null, locked -> true);
  }

  /**
   * As above, when {@code due} holds for the request as locked; null (nothing changed) when it does
   * not. {@code due} may also refuse the close by throwing; the refusal is reported to {@code
   * agent} in the transaction (see {@link #commitReporting}) unless it is null.
   */
  private Conversation closeBy(
      String orgId,
      String id,
      String by,
      String correlationId,
      Principal agent,
      Predicate<Conversation> due) {
    Conversation current =
        repository.conversation(orgId, id).orElseThrow(() -> new NotFound("conversation", id));
    Channel channel = channel(current);
    List<String> leaving = new ArrayList<>();
    long mark = audienceChanges.mark();
    Function<RoutingRepository.Tx, Outcome<Conversation>> work =
        tx -> {
          leaving.clear(); // of a run before, if its group failed as a whole
          Conversation locked = lock(tx, orgId, id);
          if (!due.test(locked)) {
            return Outcome.<Conversation>of(null, List.of());
          }
          Conversation closed = locked.close(tx.now(), by);
          String holder = tx.pulledBy(id);
          locked.participants().forEach(participant -> leaving.add(participant.userId()));
          List<Participant> departing =
              locked.participants().stream()
                  .sorted(Comparator.comparing(Participant::userId))
                  .toList();
          List<AgentState> states = new ArrayList<>();
          for (Participant participant : departing) {
            states.add(tx.lockAgentState(orgId, participant.userId()));
          }
          tx.removeParticipants(id);
          tx.saveState(closed);
          List<EventDraft> events = new ArrayList<>();
          events.add(
              RoutingEvents.listRequest(RoutingEvents.REMOVED, closed, channel, tx.now(), null));
          for (int i = 0; i < departing.size(); i++) {
            Participant participant = departing.get(i);
            events.add(
                RoutingEvents.agentEntity(
                    "EntityRemoved",
                    closed,
                    participant.userId(),
                    nameOf(closed.orgId(), participant)));
            events.add(RoutingEvents.interactionClear(participant.userId(), closed));
            events.addAll(afterWork(tx, states.get(i), closed));
          }
          events.addAll(released.of(holder, locked, closed, tx.nextReferenceId()));
          if (holder != null) {
            // Out of its agent's workbin: a closed request holds nobody (its agent can be
            // deleted; the history is in the event log).
            tx.moveToList(id, locked.listId());
          }
          return Outcome.of(closed, events);
        };
    Locks locks = Locks.conversation(id);
    Conversation result =
        agent == null
            ? commit(orgId, correlationId, locks, work)
            : commitReporting(agent, id, correlationId, locks, work);
    leaving.forEach(user -> audienceChanges.changed(user, mark));
    return result;
  }

  /** Wrap, then back to the chosen state when the agent is in no other conversation. */
  private static List<EventDraft> afterWork(
      RoutingRepository.Tx tx, AgentState state, Conversation conversation) {
    List<EventDraft> events = new ArrayList<>();
    events.add(RoutingEvents.wrap(state.userId(), conversation));
    if (tx.openConversationCount(state.userId()) == 0) {
      events.add(RoutingEvents.rest(state, conversation.interactionNumber()));
    }
    return events;
  }

  // ---- messages

  public Message postMessage(Principal principal, String id, String text, String correlationId) {
    if (text == null || text.isBlank()) {
      throw InvalidInput.required("text");
    }
    if (text.length() > Message.MAX_TEXT) {
      throw new InvalidInput("text", "text must be at most " + Message.MAX_TEXT + " characters");
    }
    if (!principal.isUser()) {
      if (!principal.hasScope(Scopes.CHANNEL)) {
        throw new Forbidden("customer messages need scope 'channel'");
      }
      return customerText(principal.orgId(), id, text, correlationId);
    }
    User agent = agent(principal);
    return commitReporting(
        principal,
        id,
        correlationId,
        Locks.conversation(id),
        tx -> {
          Conversation locked = lock(tx, principal.orgId(), id);
          locked.checkAgentMessage(agent.id());
          Message message =
              new Message(
                  Ids.newId(),
                  principal.orgId(),
                  id,
                  Message.Sender.AGENT,
                  agent.id(),
                  displayName(agent),
                  text,
                  tx.now());
          tx.insertMessage(message);
          return Outcome.of(
              message,
              List.of(
                  RoutingEvents.text(
                      locked, RoutingEvents.AGENT, displayName(agent), agent.id(), text)));
        });
  }

  /**
   * A customer's text. It is stored and sent to the participants; it publishes no list
   * notification, whatever the state (an INACTIVE request is already on the list).
   */
  private Message customerText(String orgId, String id, String text, String correlationId) {
    Conversation current =
        repository.conversation(orgId, id).orElseThrow(() -> new NotFound("conversation", id));
    Channel channel = channel(current);
    return commit(
        orgId,
        correlationId,
        Locks.conversation(id),
        tx -> {
          Conversation locked = lock(tx, orgId, id);
          locked.checkCustomerMessage();
          Message message = customerMessage(locked, text, tx.now());
          tx.insertMessage(message);
          tx.touchCustomerActivity(id, tx.now(), deadline(channel, tx.now()));
          return Outcome.of(
              message,
              List.of(
                  RoutingEvents.text(
                      locked,
                      RoutingEvents.CUSTOMER,
                      RoutingEvents.customerName(locked),
                      null,
                      text)));
        });
  }

  // ---- subscriptions

  /**
   * Subscribes to a list (idempotent) and answers its open requests. Only a user that may work on
   * the list may: decided in the subscription's transaction (see {@link #subscribeAllowed}).
   */
  public List<Conversation> subscribe(Principal principal, String listId) {
    User user = agent(principal);
    list(principal.orgId(), listId);
    long mark = audienceChanges.mark();
    commit(
        principal.orgId(),
        null,
        tx -> {
          subscribeAllowed(tx, principal.orgId(), user.id(), listId);
          return Outcome.of(null, List.of());
        });
    subscriptionsChanged.accept(listId);
    audienceChanges.changed(user.id(), mark);
    return repository.openOnList(principal.orgId(), listId, OPEN);
  }

  public void unsubscribe(Principal principal, String listId) {
    User user = agent(principal);
    list(principal.orgId(), listId);
    long mark = audienceChanges.mark();
    commit(
        principal.orgId(),
        null,
        tx -> {
          tx.unsubscribe(user.id(), listId);
          return Outcome.of(null, List.of());
        });
    subscriptionsChanged.accept(listId);
    audienceChanges.changed(user.id(), mark);
  }

  /**
   * Subscribes to or unsubscribes from a list for the workbin API (null: no list, only the events),
   * with the events {@code extra} makes for the new {@code referenceId}, in one transaction;
   * returns that referenceId.
   */
  public long setSubscription(
      Principal principal,
      String listId,
      boolean subscribe,
      LongFunction<List<EventDraft>> extra,
      String correlationId) {
    User user = agent(principal);
    if (listId != null) {
      list(principal.orgId(), listId);
    }
    long mark = audienceChanges.mark();
    long referenceId =
        commit(
            principal.orgId(),
            correlationId,
            tx -> {
              if (listId != null && subscribe) {
                subscribeAllowed(tx, principal.orgId(), user.id(), listId);
              } else if (listId != null) {
                tx.unsubscribe(user.id(), listId);
              }
              long reference = tx.nextReferenceId();
              return Outcome.of(reference, extra.apply(reference));
            });
    audienceChanges.changed(user.id(), mark);
    return referenceId;
  }

  /**
   * Subscribes {@code userId} to {@code listId} in the transaction {@code tx}, refused (403) unless
   * it may work on the list as the store has it then, not as a node remembers it: an
   * administrator's change committed meanwhile (through another node, say) decides, and one that
   * commits after waits for this transaction and then ends the subscription it no longer allows. So
   * a subscription never outlives the permission it was given on (docs/routing.md).
   */
  private static void subscribeAllowed(
      RoutingRepository.Tx tx, String orgId, String userId, String listId) {
    if (!tx.subscribeIfAllowed(orgId, userId, listId)) {
      throw new Forbidden("not allowed on list " + listId);
    }
  }

  public List<WorkList> subscriptions(Principal principal) {
    User user = agent(principal);
    return repository.subscribedLists(user.id()).stream()
        .map(listId -> admin.findList(principal.orgId(), listId))
        .flatMap(Optional::stream)
        .sorted(Comparator.comparing(WorkList::name))
        .toList();
  }

  // ---- agent state

  /** An agent's state: what it is now, what it chose, and its open conversations. */
  public record Status(
      AgentState.Presence state,
      AgentState.Base chosen,
      String reasonCode,
      List<String> conversations) {}

  public Status status(Principal principal) {
    User user = agent(principal);
    AgentState state =
        repository
            .agentState(user.id())
            .orElseGet(() -> AgentState.initial(user.id(), principal.orgId(), Instant.EPOCH));
    List<String> conversations = repository.conversationsOf(user.id());
    return new Status(
        state.presence(conversations.size()), state.base(), state.reasonCode(), conversations);
  }

  public Status setState(
      Principal principal, AgentState.Base base, String reasonCode, String correlationId) {
    User user = agent(principal);
    commit(
        principal.orgId(),
        correlationId,
        Locks.agent(user.id()),
        tx -> {
          tx.lockAgentState(principal.orgId(), user.id());
          AgentState chosen =
              new AgentState(user.id(), principal.orgId(), base, reasonCode, tx.now());
          tx.saveAgentState(chosen);
          List<EventDraft> events = new ArrayList<>();
          // While busy the choice applies after wrap; it is announced then.
          if (tx.openConversationCount(user.id()) == 0) {
            events.add(RoutingEvents.rest(chosen, 0));
          }
          return Outcome.of(null, events);
        });
    return status(principal);
  }

  // ---- timers

  /** Reminds subscribers of a request still UNREAD; false when it is no longer due. */
  boolean remind(String orgId, String id, String correlationId) {
    Conversation current = repository.conversation(orgId, id).orElse(null);
    if (current == null || current.state() != ConversationState.UNREAD) {
      return false;
    }
    Channel channel = channel(current);
    return commit(
        orgId,
        correlationId,
        Locks.conversation(id),
        tx -> {
          Conversation locked = lock(tx, orgId, id);
          // The list it is on as locked: a move committed meanwhile (through another node, say)
          // decides the interval, not the list read before the lock.
          WorkList list = list(orgId, locked.listId());
          if (locked.state() != ConversationState.UNREAD || list.reminderAfterSeconds() == null) {
            tx.scheduleReminder(id, null);
            return Outcome.of(false, List.of());
          }
          // Every node's timer may have found it due; the one whose update moves the reminder on
          // sends it, the others find it claimed.
          if (!tx.claimReminder(id, tx.now(), tx.now().plusSeconds(list.reminderAfterSeconds()))) {
            return Outcome.of(false, List.of());
          }
          long waiting = Duration.between(locked.createdAt(), tx.now()).toSeconds();
          return Outcome.of(
              true,
              List.of(
                  RoutingEvents.listRequest(
                      RoutingEvents.UPDATED, locked, channel, tx.now(), waiting)));
        });
  }

  /** Closes a request whose customer has been silent too long; false when no longer due. */
  boolean expireInactive(String orgId, String id, Instant now, String correlationId) {
    Conversation current = repository.conversation(orgId, id).orElse(null);
    if (current == null || !current.state().isOpen()) {
      return false;
    }
    Channel channel = channel(current);
    if (!silentSince(channel, current, now)) {
      return false;
    }
    try {
      // Due as read before the lock; the locked row decides: a customer text committed since
      // (through another node, say) moved the deadline, and the request stays open.
      return closeBy(
              orgId,
              id,
              "timeout",
              correlationId,
              null,
              locked -> silentSince(channel, locked, now))
          != null;
    } catch (Conflict closedMeanwhile) {
      return false;
    }
  }

  /** Whether {@code conversation}'s customer has been silent longer than its channel allows. */
  private static boolean silentSince(Channel channel, Conversation conversation, Instant now) {
    Instant deadline = deadline(channel, conversation.lastCustomerActivityAt());
    return deadline != null && !deadline.isAfter(now);
  }

  RoutingRepository repository() {
    return repository;
  }

  // ---- shared

  /** What a command's transaction produced: its result and the events to append. */
  record Outcome<T>(T result, List<EventDraft> events) {
    static <T> Outcome<T> of(T result, List<EventDraft> events) {
      return new Outcome<>(result, events);
    }
  }

  private <T> T commit(
      String orgId, String correlationId, Function<RoutingRepository.Tx, Outcome<T>> work) {
    return commit(orgId, correlationId, Locks.NONE, work);
  }

  /** Commits {@code work}, which will lock the rows named in {@code locks} (see {@link Locks}). */
  private <T> T commit(
      String orgId,
      String correlationId,
      Locks locks,
      Function<RoutingRepository.Tx, Outcome<T>> work) {
    return group.run(orgId, correlationId, locks, work).result();
  }

  /**
   * Runs an agent's command that changes {@code changedUser}'s audience when it succeeds (a join, a
   * pull …): the user's sessions hear from the mark taken before it on.
   */
  private <T> T changingAudience(Supplier<T> command, String changedUser) {
    long mark = audienceChanges.mark();
    T result = command.get();
    audienceChanges.changed(changedUser, mark);
    return result;
  }

  /**
   * Commits {@code work}, an agent's command on request {@code id}; when it is refused in its
   * transaction (a 403 or 409), the agent also gets an {@code engagementCenter.Error} event, as
   * spec 003 reports failed requests, committed in the command's place in the same transaction (see
   * {@link Refused}); then the refusal is thrown.
   */
  private <T> T commitReporting(
      Principal principal,
      String id,
      String correlationId,
      Locks locks,
      Function<RoutingRepository.Tx, Outcome<T>> work) {
    try {
      return commit(
          principal.orgId(),
          correlationId,
          locks,
          tx -> {
            try {
              return work.apply(tx);
            } catch (Conflict | Forbidden refused) {
              Long number = tx.interactionNumber(principal.orgId(), id).orElse(null);
              throw new Refused(
                  refused,
                  List.of(
                      RoutingEvents.error(
                          principal.subject(), number, failCode(refused), refused.getMessage())));
            }
          });
    } catch (Refused reported) {
      throw reported.refusal();
    }
  }

  private static int failCode(PullrouteException refused) {
    return refused instanceof Forbidden ? 403 : 409;
  }

  private static Conversation lock(RoutingRepository.Tx tx, String orgId, String id) {
    return tx.lockConversation(orgId, id).orElseThrow(() -> new NotFound("conversation", id));
  }

  private Channel channel(Conversation conversation) {
    return admin
        .findChannel(conversation.orgId(), conversation.channelId())
        .orElseThrow(() -> new IllegalStateException("request without its channel"));
  }

  private WorkList list(String orgId, String listId) {
    return admin.findListDefinition(orgId, listId).orElseThrow(() -> new NotFound("list", listId));
  }

  /** The users subscribed to a list. */
  public Set<String> subscribers(String listId) {
    return repository.subscribers(listId);
  }

  /** What streaming sessions need to know of routing: see {@link RoutingRepository#joined}. */
  public io.pullroute.events.Joined joined(String userId) {
    return repository.joined(userId);
  }

  /** Whether {@code principal} may work on the list {@code listId} of its organization. */
  public boolean mayWorkOn(Principal principal, String listId) {
    return admin
        .findListDefinition(principal.orgId(), listId)
        .map(list -> mayWorkOn(principal, list))
        .orElse(false);
  }

  public boolean isParticipant(Principal principal, String conversationId) {
    return repository
        .conversation(principal.orgId(), conversationId)
        .map(conversation -> conversation.hasParticipant(principal.subject()))
        .orElse(false);
  }

  /** The signed-in user behind a password token; clients cannot act as agents. */
  private User agent(Principal principal) {
    principal.requireUser("agents' calls");
    return admin
        .findUser(principal.orgId(), principal.subject())
        .orElseThrow(() -> new Forbidden("the user of this token no longer exists"));
  }

  private static boolean isSupervisor(Principal principal) {
    return principal.hasRole("supervisor") || principal.hasRole("admin");
  }

  /**
   * Whether a user may see and take requests of a list: supervisors and admins always; agents when
   * the list has no owner, or they are members of its agent group, or sit at a place of its place
   * group.
   */
  boolean mayWorkOn(Principal principal, WorkList list) {
    if (isSupervisor(principal)) {
      return true;
    }
    if (list.agentGroup() != null) {
      return admin
          .findGroupByName(MemberGroup.Kind.AGENT_GROUP, list.orgId(), list.agentGroup())
          .map(group -> group.members().contains(principal.subject()))
          .orElse(false);
    }
    if (list.placeGroup() != null) {
      String place =
          admin.findUser(list.orgId(), principal.subject()).map(User::place).orElse(null);
      return place != null
          && admin
              .findPlaceGroupByName(list.orgId(), list.placeGroup())
              .map(PlaceGroup::places)
              .orElse(List.of())
              .contains(place);
    }
    return true;
  }

  /**
   * A participant's {@code entityName} in messaging events: its display name, as the events of its
   * own join and texts name it (its username only once the user is gone).
   */
  private String nameOf(String orgId, Participant participant) {
    return admin
        .findUser(orgId, participant.userId())
        .map(RoutingService::displayName)
        .orElse(participant.username());
  }

  private static String displayName(User user) {
    String name =
        ((user.firstName() == null ? "" : user.firstName())
                + " "
                + (user.lastName() == null ? "" : user.lastName()))
            .strip();
    return name.isEmpty() ? user.username() : name;
  }
}
