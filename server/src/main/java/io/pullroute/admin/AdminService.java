package io.pullroute.admin;

import io.pullroute.auth.PasswordHasher;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.events.AudienceChanges;
import io.pullroute.events.EventDraft;
import io.pullroute.events.Outbox;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The rules of administration: what must exist before something may refer to it, and how secrets
 * are kept. Thread-safe.
 */
public final class AdminService {
  private static final int MIN_PASSWORD = 4;
  private static final int MAX_PASSWORD = 200;

  private final AdminRepository repository;
  private final PasswordHasher hasher;
  private final InstantSource clock;
  private volatile AudienceChanges workbinsChanged = AudienceChanges.NONE;
  private volatile AudienceChanges accessChanged = AudienceChanges.NONE;

  public AdminService(AdminRepository repository, PasswordHasher hasher, InstantSource clock) {
    this.repository = repository;
    this.hasher = hasher;
    this.clock = clock;
  }

  private Outbox outbox(String correlationId, EventDraft event) {
    return new Outbox(
        clock.instant().truncatedTo(ChronoUnit.MILLIS), correlationId, List.of(event));
  }

  public AdminRepository repository() {
    return repository;
  }

  /**
   * Tells {@code listener} the organization of every change that may change whose workbins a list
   * is or who may work on it: an agent group's members, a place group's places, a list's owner (a
   * user's place or roles: {@link #onAccessChange}). Such a change also ends, in its transaction,
   * the subscriptions to lists their users may no longer work on. Streaming sessions listen to
   * refresh what their users hear.
   */
  public void onWorkbinsChange(AudienceChanges listener) {
    this.workbinsChanged = listener;
  }

  /**
   * Tells {@code listener} the user id of every change of a user's place or roles: which lists that
   * user (and no other) may work on, and which place groups' workbins are its own, may have
   * changed. Such a change also ends, in its transaction, the user's subscriptions to lists it may
   * no longer work on.
   */
  public void onAccessChange(AudienceChanges listener) {
    this.accessChanged = listener;
  }

  // ---- users

  public User createUser(User user, String password, String correlationId) {
    repository.insertUser(
        user,
        password == null ? null : hasher.hash(checkPassword(password)),
        outbox(correlationId, AdminEvents.user(user, "created")));
    return user(user.orgId(), user.id());
  }

  /** Updates a user; a null {@code password} keeps the current one. */
  public User updateUser(User user, String password, String correlationId) {
    User before = user(user.orgId(), user.id());
    long mark = accessChanged.mark();
    repository.updateUser(
        user,
        password == null ? null : hasher.hash(checkPassword(password)),
        outbox(correlationId, AdminEvents.user(user, "updated")));
    // A place decides place groups' workbins; roles, which lists the user may work on (a
    // supervisor's subscriptions to other groups' lists end with the role).
    if (!Objects.equals(before.place(), user.place()) || !before.roles().equals(user.roles())) {
      accessChanged.changed(user.id(), mark);
    }
    return user(user.orgId(), user.id());
  }

  public User user(String orgId, String id) {
    return repository.findUser(orgId, id).orElseThrow(() -> new NotFound("user", id));
  }

  public List<User> users(String orgId) {
    return repository.users(orgId);
  }

  public void deleteUser(String orgId, String id, String correlationId) {
    if (!repository.deleteUser(orgId, id, outbox(correlationId, AdminEvents.userDeleted(id)))) {
      throw new NotFound("user", id);
    }
  }

  private static String checkPassword(String password) {
    if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
      throw new InvalidInput(
          "password",
          "password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters long");
    }
    return password;
  }

  // ---- teams and agent groups

  public MemberGroup createGroup(MemberGroup group, String correlationId) {
    checkMembers(group);
    long mark = workbinsChanged.mark();
    repository.insertGroup(group, teamEvent(group, "created", correlationId));
    agentGroupChanged(group.kind(), group.orgId(), mark);
    return group(group.kind(), group.orgId(), group.id());
  }

  public MemberGroup updateGroup(MemberGroup group, String correlationId) {
    group(group.kind(), group.orgId(), group.id());
    checkMembers(group);
    long mark = workbinsChanged.mark();
    repository.updateGroup(group, teamEvent(group, "updated", correlationId));
    agentGroupChanged(group.kind(), group.orgId(), mark);
    return group(group.kind(), group.orgId(), group.id());
  }

  /** Teams announce their changes; agent groups do not (they are workbin owners). */
  private Outbox teamEvent(MemberGroup group, String action, String correlationId) {
    if (group.kind() != MemberGroup.Kind.TEAM) {
      return Outbox.NONE;
    }
    // members as stored: a member named twice is listed once
    MemberGroup stored =
        new MemberGroup(
            group.kind(),
            group.id(),
            group.orgId(),
            group.name(),
            group.description(),
            List.copyOf(new java.util.LinkedHashSet<>(group.members())),
            group.createdAt());
    return outbox(correlationId, AdminEvents.team(stored, action));
  }

  public MemberGroup group(MemberGroup.Kind kind, String orgId, String id) {
    return repository.findGroup(kind, orgId, id).orElseThrow(() -> new NotFound(kind.label(), id));
  }

  public List<MemberGroup> groups(MemberGroup.Kind kind, String orgId) {
    return repository.groups(kind, orgId);
  }

  public void deleteGroup(MemberGroup.Kind kind, String orgId, String id, String correlationId) {
    Outbox outbox =
        kind == MemberGroup.Kind.TEAM
            ? outbox(correlationId, AdminEvents.teamDeleted(id))
            : Outbox.NONE;
    long mark = workbinsChanged.mark();
    if (!repository.deleteGroup(kind, orgId, id, outbox)) {
      throw new NotFound(kind.label(), id);
    }
    agentGroupChanged(kind, orgId, mark);
  }

  private void agentGroupChanged(MemberGroup.Kind kind, String orgId, long mark) {
    if (kind == MemberGroup.Kind.AGENT_GROUP) {
      workbinsChanged.changed(orgId, mark);
    }
  }

  private void checkMembers(MemberGroup group) {
    Set<String> known = repository.existingUserIds(group.orgId(), group.members());
    for (int i = 0; i < group.members().size(); i++) {
      String member = group.members().get(i);
      if (!known.contains(member)) {
        throw new InvalidInput(
            "members[" + i + "]", "members[" + i + "]: no user with id '" + member + "'");
      }
    }
  }

  // ---- place groups

  public PlaceGroup createPlaceGroup(PlaceGroup group) {
    checkPlaces(group);
    long mark = workbinsChanged.mark();
    repository.insertPlaceGroup(group);
    workbinsChanged.changed(group.orgId(), mark);
    return placeGroup(group.orgId(), group.id());
  }

  public PlaceGroup updatePlaceGroup(PlaceGroup group) {
    checkPlaces(group);
    placeGroup(group.orgId(), group.id());
    long mark = workbinsChanged.mark();
    repository.updatePlaceGroup(group);
    workbinsChanged.changed(group.orgId(), mark);
    return placeGroup(group.orgId(), group.id());
  }

  /**
   * A place is at most as long as a user's may be, or no user could ever be at it. Checked on
   * writes only: a group stored before the check still reads.
   */
  private static void checkPlaces(PlaceGroup group) {
    for (int i = 0; i < group.places().size(); i++) {
      Validate.text("places[" + i + "]", group.places().get(i));
    }
  }

  public PlaceGroup placeGroup(String orgId, String id) {
    return repository.findPlaceGroup(orgId, id).orElseThrow(() -> new NotFound("place group", id));
  }

  public List<PlaceGroup> placeGroups(String orgId) {
    return repository.placeGroups(orgId);
  }

  public void deletePlaceGroup(String orgId, String id) {
    long mark = workbinsChanged.mark();
    if (!repository.deletePlaceGroup(orgId, id)) {
      throw new NotFound("place group", id);
    }
    workbinsChanged.changed(orgId, mark);
  }

  // ---- lists

  public WorkList createList(WorkList list) {
    checkOwner(list);
    long mark = workbinsChanged.mark();
    repository.insertList(list);
    if (list.agentGroup() != null || list.placeGroup() != null) {
      workbinsChanged.changed(list.orgId(), mark);
    }
    return list(list.orgId(), list.id());
  }

  public WorkList updateList(WorkList list) {
    WorkList before = list(list.orgId(), list.id());
    checkOwner(list);
    long mark = workbinsChanged.mark();
    repository.updateList(list);
    // Only a new owner changes whose workbin it is; a name or a reminder tells no session.
    if (!Objects.equals(before.agentGroup(), list.agentGroup())
        || !Objects.equals(before.placeGroup(), list.placeGroup())) {
      workbinsChanged.changed(list.orgId(), mark);
    }
    return list(list.orgId(), list.id());
  }

  public WorkList list(String orgId, String id) {
    return repository.findList(orgId, id).orElseThrow(() -> new NotFound("list", id));
  }

  public List<WorkList> lists(String orgId) {
    return repository.lists(orgId);
  }

  public void deleteList(String orgId, String id) {
    if (!repository.deleteList(orgId, id)) {
      throw new NotFound("list", id);
    }
  }

  private void checkOwner(WorkList list) {
    if (list.agentGroup() != null
        && repository
            .findGroupByName(MemberGroup.Kind.AGENT_GROUP, list.orgId(), list.agentGroup())
            .isEmpty()) {
      throw new InvalidInput(
          "agentGroup", "agentGroup: no agent group named '" + list.agentGroup() + "'");
    }
    if (list.placeGroup() != null
        && repository.findPlaceGroupByName(list.orgId(), list.placeGroup()).isEmpty()) {
      throw new InvalidInput(
          "placeGroup", "placeGroup: no place group named '" + list.placeGroup() + "'");
    }
  }

  // ---- channels

  public Channel createChannel(Channel channel) {
    checkList(channel);
    repository.insertChannel(channel);
    return channel(channel.orgId(), channel.id());
  }

  public Channel updateChannel(Channel channel) {
    channel(channel.orgId(), channel.id());
    checkList(channel);
    repository.updateChannel(channel);
    return channel(channel.orgId(), channel.id());
  }

  public Channel channel(String orgId, String id) {
    return repository.findChannel(orgId, id).orElseThrow(() -> new NotFound("channel", id));
  }

  public List<Channel> channels(String orgId) {
    return repository.channels(orgId);
  }

  public void deleteChannel(String orgId, String id) {
    if (!repository.deleteChannel(orgId, id)) {
      throw new NotFound("channel", id);
    }
  }

  private void checkList(Channel channel) {
    if (channel.listId() != null
        && repository.findListDefinition(channel.orgId(), channel.listId()).isEmpty()) {
      throw new InvalidInput("listId", "listId: no list with id '" + channel.listId() + "'");
    }
  }
}
