package io.pullroute.admin;

import io.pullroute.auth.AuthService;
import io.pullroute.events.Outbox;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What administration needs from the store. Every read and write is confined to one organization; a
 * row of another organization is as good as absent. Duplicate names raise {@code Conflict}.
 */
public interface AdminRepository {

  /** False when the organization exists already. */
  boolean createOrganization(String orgId, String apiKeyHash, Instant now);

  boolean organizationExists(String orgId);

  List<String> organizationIds();

  /** Inserts the user and appends {@code outbox} in the same transaction (so do the others). */
  void insertUser(User user, String passwordHash, Outbox outbox);

  /** Updates the user; a null {@code passwordHash} keeps the password. */
  void updateUser(User user, String passwordHash, Outbox outbox);

  Optional<User> findUser(String orgId, String id);

  /** What a user's access tokens are checked against: its roles and the tag of its password. */
  Optional<AuthService.CurrentUser> findCredentials(String orgId, String id);

  Optional<User> findUserByName(String orgId, String username);

  List<User> users(String orgId);

  boolean deleteUser(String orgId, String id, Outbox outbox);

  /** Which of {@code ids} are users of the organization. */
  Set<String> existingUserIds(String orgId, Collection<String> ids);

  void insertGroup(MemberGroup group, Outbox outbox);

  void updateGroup(MemberGroup group, Outbox outbox);

  Optional<MemberGroup> findGroup(MemberGroup.Kind kind, String orgId, String id);

  Optional<MemberGroup> findGroupByName(MemberGroup.Kind kind, String orgId, String name);

  List<MemberGroup> groups(MemberGroup.Kind kind, String orgId);

  boolean deleteGroup(MemberGroup.Kind kind, String orgId, String id, Outbox outbox);

  void insertPlaceGroup(PlaceGroup group);

  void updatePlaceGroup(PlaceGroup group);

  Optional<PlaceGroup> findPlaceGroup(String orgId, String id);

  Optional<PlaceGroup> findPlaceGroupByName(String orgId, String name);

  List<PlaceGroup> placeGroups(String orgId);

  boolean deletePlaceGroup(String orgId, String id);

  /** Inserts a list; its owner names must exist (the service checks). */
  void insertList(WorkList list);

  void updateList(WorkList list);

  Optional<WorkList> findList(String orgId, String id);

  /**
   * A list without its counts (they are all 0): for checks and routing, which need only what the
   * list is, not a count of the requests on it.
   */
  Optional<WorkList> findListDefinition(String orgId, String id);

  Optional<WorkList> findListByName(String orgId, String name);

  List<WorkList> lists(String orgId);

  boolean deleteList(String orgId, String id);

  void insertChannel(Channel channel);

  void updateChannel(Channel channel);

  Optional<Channel> findChannel(String orgId, String id);

  Optional<Channel> findChannelByName(String orgId, String name);

  List<Channel> channels(String orgId);

  boolean deleteChannel(String orgId, String id);
}
