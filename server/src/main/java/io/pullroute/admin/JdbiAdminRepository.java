package io.pullroute.admin;

import static io.pullroute.store.Rows.instant;

import io.pullroute.auth.AuthService;
import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.events.JdbiEventLog;
import io.pullroute.events.Outbox;
import io.pullroute.store.Dialect;
import io.pullroute.store.StoreErrors;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** {@link AdminRepository} on JDBC: all administration SQL. Thread-safe. */
public final class JdbiAdminRepository implements AdminRepository {
  private static final List<String> OPEN_STATES = List.of("UNREAD", "ACTIVE", "INACTIVE");

  /** Runs of a change that a deadlock rolled back, at most ({@link #changing}). */
  private static final int CHANGE_ATTEMPTS = 3;

  private final Jdbi jdbi;
  private final Dialect dialect;

  public JdbiAdminRepository(Jdbi jdbi, Dialect dialect) {
    this.jdbi = jdbi;
    this.dialect = dialect;
  }

  // ---- organizations

  @Override
  public boolean createOrganization(String orgId, String apiKeyHash, Instant now) {
    return jdbi.withHandle(
            handle ->
                handle
                    .createUpdate(
                        "INSERT INTO organization (id, api_key_hash, created_at)"
                            + " VALUES (:id, :key, :now) ON CONFLICT DO NOTHING")
                    .bind("id", orgId)
                    .bind("key", apiKeyHash)
                    .bind("now", now)
                    .execute())
        == 1;
  }

  @Override
  public boolean organizationExists(String orgId) {
    return jdbi.withHandle(
        handle ->
            handle
                    .createQuery("SELECT COUNT(*) FROM organization WHERE id = :id")
                    .bind("id", orgId)
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  @Override
  public List<String> organizationIds() {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT id FROM organization ORDER BY id")
                .mapTo(String.class)
                .list());
  }

  // ---- users

  private static final String USER_COLUMNS =
      "id, org_id, username, first_name, last_name, roles, place, created_at";

  @Override
  public void insertUser(User user, String passwordHash, Outbox outbox) {
    unique(
        "username",
        "a user named '" + user.username() + "' already exists",
        () ->
            jdbi.useTransaction(
                handle -> {
                  handle
                      .createUpdate(
                          "INSERT INTO app_user (id, org_id, username, password_hash,"
                              + " first_name, last_name, roles, place, created_at) VALUES (:id,"
                              + " :org, :username, :hash, :first, :last, :roles, :place, :now)")
                      .bind("id", user.id())
                      .bind("org", user.orgId())
                      .bind("username", user.username())
                      .bind("hash", passwordHash)
                      .bind("first", user.firstName())
                      .bind("last", user.lastName())
                      .bind("roles", String.join(" ", new TreeSet<>(user.roles())))
                      .bind("place", user.place())
                      .bind("now", user.createdAt())
                      .execute();
                  append(handle, user.orgId(), outbox);
                }));
  }

  @Override
  public void updateUser(User user, String passwordHash, Outbox outbox) {
    unique(
        "username",
        "a user named '" + user.username() + "' already exists",
        () ->
            changing(
                user.orgId(),
                handle -> {
                  handle
                      .createUpdate(
                          "UPDATE app_user SET username = :username, first_name = :first,"
                              + " last_name = :last, roles = :roles, place = :place,"
                              + " password_hash = COALESCE(:hash, password_hash)"
                              + " WHERE org_id = :org AND id = :id")
                      .bind("id", user.id())
                      .bind("org", user.orgId())
                      .bind("username", user.username())
                      .bind("hash", passwordHash)
                      .bind("first", user.firstName())
                      .bind("last", user.lastName())
                      .bind("roles", String.join(" ", new TreeSet<>(user.roles())))
                      .bind("place", user.place())
                      .execute();
                  endLostSubscriptions(handle, "s.user_id = :key", user.id());
                  append(handle, user.orgId(), outbox);
                }));
  }

  @Override
  public Optional<User> findUser(String orgId, String id) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT " + USER_COLUMNS + " FROM app_user WHERE org_id = :org AND id = :id")
                .bind("org", orgId)
                .bind("id", id)
                .map((rs, ctx) -> user(rs))
                .findOne());
  }

  @Override
  public Optional<AuthService.CurrentUser> findCredentials(String orgId, String id) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT roles, password_hash FROM app_user WHERE org_id = :org AND id = :id")
                .bind("org", orgId)
                .bind("id", id)
                .map(
                    (rs, ctx) ->
                        new AuthService.CurrentUser(
                            roles(rs), AuthService.passwordTag(rs.getString("password_hash"))))
                .findOne());
  }

  @Override
  public Optional<User> findUserByName(String orgId, String username) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT "
                        + USER_COLUMNS
                        + " FROM app_user WHERE org_id = :org AND username = :username")
                .bind("org", orgId)
                .bind("username", username)
                .map((rs, ctx) -> user(rs))
                .findOne());
  }

  @Override
  public List<User> users(String orgId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT "
                        + USER_COLUMNS
                        + " FROM app_user WHERE org_id = :org ORDER BY username")
                .bind("org", orgId)
                .map((rs, ctx) -> user(rs))
                .list());
  }

  @Override
  public boolean deleteUser(String orgId, String id, Outbox outbox) {
    return delete(
        "user",
        "DELETE FROM app_user WHERE org_id = :org AND id = :id",
        orgId,
        id,
        outbox,
        "the user "
            + id
            + " is in open requests (joined, or holding one it pulled) and cannot be deleted;"
            + " it must leave them, or they be closed, first");
  }

  @Override
  public Set<String> existingUserIds(String orgId, Collection<String> ids) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    return jdbi.withHandle(
        handle ->
            new HashSet<>(
                handle
                    .createQuery("SELECT id FROM app_user WHERE org_id = :org AND id IN (<ids>)")
                    .bind("org", orgId)
                    .bindList("ids", List.copyOf(ids))
                    .mapTo(String.class)
                    .list()));
  }

  /** The roles column: role names separated by spaces. */
  private static Set<String> roles(ResultSet rs) throws SQLException {
    return Set.of(rs.getString("roles").split(" "));
  }

  private static User user(ResultSet rs) throws SQLException {
    return new User(
        rs.getString("id"),
        rs.getString("org_id"),
        rs.getString("username"),
        rs.getString("first_name"),
        rs.getString("last_name"),
        roles(rs),
        rs.getString("place"),
        instant(rs, "created_at"));
  }

  // ---- teams and agent groups

  private static String groupTable(MemberGroup.Kind kind) {
    return switch (kind) {
      case TEAM -> "team";
      case AGENT_GROUP -> "agent_group";
    };
  }

  private static String memberTable(MemberGroup.Kind kind) {
    return groupTable(kind) + "_member";
  }

  @Override
  public void insertGroup(MemberGroup group, Outbox outbox) {
    unique(
        "name",
        "a " + group.kind().label() + " named '" + group.name() + "' already exists",
        () ->
            jdbi.useTransaction(
                handle -> {
                  handle
                      .createUpdate(
                          "INSERT INTO "
                              + groupTable(group.kind())
                              + " (id, org_id, name, description, created_at)"
                              + " VALUES (:id, :org, :name, :description, :now)")
                      .bind("id", group.id())
                      .bind("org", group.orgId())
                      .bind("name", group.name())
                      .bind("description", group.description())
                      .bind("now", group.createdAt())
                      .execute();
                  replaceMembers(handle, memberTable(group.kind()), group.id(), group.members());
                  append(handle, group.orgId(), outbox);
                }));
  }

  @Override
  public void updateGroup(MemberGroup group, Outbox outbox) {
    unique(
        "name",
        "a " + group.kind().label() + " named '" + group.name() + "' already exists",
        () ->
            changing(
                group.orgId(),
                handle -> {
                  handle
                      .createUpdate(
                          "UPDATE "
                              + groupTable(group.kind())
                              + " SET name = :name, description = :description"
                              + " WHERE org_id = :org AND id = :id")
                      .bind("id", group.id())
                      .bind("org", group.orgId())
                      .bind("name", group.name())
                      .bind("description", group.description())
                      .execute();
                  replaceMembers(handle, memberTable(group.kind()), group.id(), group.members());
                  if (group.kind() == MemberGroup.Kind.AGENT_GROUP) {
                    endLostSubscriptions(
                        handle,
                        "s.list_id IN (SELECT id FROM work_list WHERE agent_group_id = :key)",
                        group.id());
                  }
                  append(handle, group.orgId(), outbox);
                }));
  }

  private static void replaceMembers(
      Handle handle, String table, String groupId, List<String> userIds) {
    handle
        .createUpdate("DELETE FROM " + table + " WHERE group_id = :group")
        .bind("group", groupId)
        .execute();
    var batch =
        handle.prepareBatch("INSERT INTO " + table + " (group_id, user_id) VALUES (:group, :user)");
    // A member named twice is a member once.
    for (String userId : new java.util.LinkedHashSet<>(userIds)) {
      batch.bind("group", groupId).bind("user", userId).add();
    }
    if (!userIds.isEmpty()) {
      batch.execute();
    }
  }

  @Override
  public Optional<MemberGroup> findGroup(MemberGroup.Kind kind, String orgId, String id) {
    return groupsWhere(kind, orgId, "id = :key", id).stream().findFirst();
  }

  @Override
  public Optional<MemberGroup> findGroupByName(MemberGroup.Kind kind, String orgId, String name) {
    return groupsWhere(kind, orgId, "name = :key", name).stream().findFirst();
  }

  @Override
  public List<MemberGroup> groups(MemberGroup.Kind kind, String orgId) {
    return groupsWhere(kind, orgId, "1 = 1", null);
  }

  private List<MemberGroup> groupsWhere(
      MemberGroup.Kind kind, String orgId, String condition, String key) {
    return jdbi.withHandle(
        handle -> {
          var query =
              handle
                  .createQuery(
                      "SELECT id, org_id, name, description, created_at FROM "
                          + groupTable(kind)
                          + " WHERE org_id = :org AND "
                          + condition
                          + " ORDER BY name")
                  .bind("org", orgId);
          if (key != null) {
            query.bind("key", key);
          }
          List<String[]> rows = new ArrayList<>();
          List<Instant> created = new ArrayList<>();
          query
              .map(
                  (rs, ctx) -> {
                    created.add(instant(rs, "created_at"));
                    return new String[] {
                      rs.getString("id"), rs.getString("name"), rs.getString("description")
                    };
                  })
              .forEach(rows::add);
          Map<String, List<String>> members =
              members(handle, memberTable(kind), rows.stream().map(row -> row[0]).toList());
          List<MemberGroup> groups = new ArrayList<>();
          for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            groups.add(
                new MemberGroup(
                    kind,
                    row[0],
                    orgId,
                    row[1],
                    row[2],
                    members.getOrDefault(row[0], List.of()),
                    created.get(i)));
          }
          return groups;
        });
  }

  private static Map<String, List<String>> members(
      Handle handle, String table, List<String> groupIds) {
    Map<String, List<String>> members = new HashMap<>();
    if (groupIds.isEmpty()) {
      return members;
    }
    String column = table.equals("place_group_place") ? "place" : "user_id";
    handle
        .createQuery(
            "SELECT group_id, "
                + column
                + " FROM "
                + table
                + " WHERE group_id IN (<ids>) ORDER BY "
                + column)
        .bindList("ids", groupIds)
        .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
        .forEach(row -> members.computeIfAbsent(row[0], k -> new ArrayList<>()).add(row[1]));
    return members;
  }

  @Override
  public boolean deleteGroup(MemberGroup.Kind kind, String orgId, String id, Outbox outbox) {
    return delete(
        kind.label(),
        "DELETE FROM " + groupTable(kind) + " WHERE org_id = :org AND id = :id",
        orgId,
        id,
        outbox);
  }

  // ---- place groups

  @Override
  public void insertPlaceGroup(PlaceGroup group) {
    unique(
        "name",
        "a place group named '" + group.name() + "' already exists",
        () ->
            jdbi.useTransaction(
                handle -> {
                  handle
                      .createUpdate(
                          "INSERT INTO place_group (id, org_id, name, created_at)"
                              + " VALUES (:id, :org, :name, :now)")
                      .bind("id", group.id())
                      .bind("org", group.orgId())
                      .bind("name", group.name())
                      .bind("now", group.createdAt())
                      .execute();
                  replacePlaces(handle, group);
                }));
  }

  @Override
  public void updatePlaceGroup(PlaceGroup group) {
    unique(
        "name",
        "a place group named '" + group.name() + "' already exists",
        () ->
            changing(
                group.orgId(),
                handle -> {
                  handle
                      .createUpdate(
                          "UPDATE place_group SET name = :name WHERE org_id = :org AND id = :id")
                      .bind("id", group.id())
                      .bind("org", group.orgId())
                      .bind("name", group.name())
                      .execute();
                  replacePlaces(handle, group);
                  endLostSubscriptions(
                      handle,
                      "s.list_id IN (SELECT id FROM work_list WHERE place_group_id = :key)",
                      group.id());
                }));
  }

  private static void replacePlaces(Handle handle, PlaceGroup group) {
    handle
        .createUpdate("DELETE FROM place_group_place WHERE group_id = :group")
        .bind("group", group.id())
        .execute();
    for (String place : new java.util.LinkedHashSet<>(group.places())) {
      handle
          .createUpdate("INSERT INTO place_group_place (group_id, place) VALUES (:group, :place)")
          .bind("group", group.id())
          .bind("place", place)
          .execute();
    }
  }

  @Override
  public Optional<PlaceGroup> findPlaceGroup(String orgId, String id) {
    return placeGroupsWhere(orgId, "id = :key", id).stream().findFirst();
  }

  @Override
  public Optional<PlaceGroup> findPlaceGroupByName(String orgId, String name) {
    return placeGroupsWhere(orgId, "name = :key", name).stream().findFirst();
  }

  @Override
  public List<PlaceGroup> placeGroups(String orgId) {
    return placeGroupsWhere(orgId, "1 = 1", null);
  }

  private List<PlaceGroup> placeGroupsWhere(String orgId, String condition, String key) {
    return jdbi.withHandle(
        handle -> {
          var query =
              handle
                  .createQuery(
                      "SELECT id, name, created_at FROM place_group WHERE org_id = :org AND "
                          + condition
                          + " ORDER BY name")
                  .bind("org", orgId);
          if (key != null) {
            query.bind("key", key);
          }
          List<Object[]> rows =
              query
                  .map(
                      (rs, ctx) ->
                          new Object[] {
                            rs.getString("id"), rs.getString("name"), instant(rs, "created_at")
                          })
                  .list();
          Map<String, List<String>> places =
              members(
                  handle, "place_group_place", rows.stream().map(row -> (String) row[0]).toList());
          return rows.stream()
              .map(
                  row ->
                      new PlaceGroup(
                          (String) row[0],
                          orgId,
                          (String) row[1],
                          places.getOrDefault((String) row[0], List.of()),
                          (Instant) row[2]))
              .toList();
        });
  }

  @Override
  public boolean deletePlaceGroup(String orgId, String id) {
    return delete(
        "place group", "DELETE FROM place_group WHERE org_id = :org AND id = :id", orgId, id);
  }

  // ---- lists

  private static final String LIST_SELECT =
      "SELECT l.id, l.name, l.description, l.created_at, l.reminder_after_seconds,"
          + " ag.name AS agent_group,"
          + " pg.name AS place_group FROM work_list l"
          + " LEFT JOIN agent_group ag ON ag.id = l.agent_group_id"
          + " LEFT JOIN place_group pg ON pg.id = l.place_group_id"
          + " WHERE l.org_id = :org AND ";

  @Override
  public void insertList(WorkList list) {
    unique(
        "name",
        "a list named '" + list.name() + "' already exists",
        () ->
            jdbi.useHandle(
                handle ->
                    withListFields(
                            handle.createUpdate(
                                "INSERT INTO work_list (id, org_id, name, description,"
                                    + " agent_group_id, place_group_id, reminder_after_seconds,"
                                    + " created_at) VALUES (:id, :org, :name, :description,"
                                    + " (SELECT id FROM agent_group WHERE org_id = :org AND name ="
                                    + " :agentGroup), (SELECT id FROM place_group WHERE org_id ="
                                    + " :org AND name = :placeGroup), :reminder, :now)"),
                            list)
                        .bind("now", list.createdAt())
                        .execute()));
  }

  @Override
  public void updateList(WorkList list) {
    unique(
        "name",
        "a list named '" + list.name() + "' already exists",
        () ->
            changing(
                list.orgId(),
                handle -> {
                  withListFields(
                          handle.createUpdate(
                              "UPDATE work_list SET name = :name, description = :description,"
                                  + " agent_group_id = (SELECT id FROM agent_group WHERE org_id ="
                                  + " :org AND name = :agentGroup), place_group_id = (SELECT id"
                                  + " FROM place_group WHERE org_id = :org AND name ="
                                  + " :placeGroup), reminder_after_seconds = :reminder"
                                  + " WHERE org_id = :org AND id = :id"),
                          list)
                      .execute();
                  endLostSubscriptions(handle, "s.list_id = :key", list.id());
                }));
  }

  /**
   * {@code update} with {@code list}'s fields bound, as an insert and an update of it name them.
   */
  private static org.jdbi.v3.core.statement.Update withListFields(
      org.jdbi.v3.core.statement.Update update, WorkList list) {
    return update
        .bind("id", list.id())
        .bind("org", list.orgId())
        .bind("name", list.name())
        .bind("description", list.description())
        .bind("agentGroup", list.agentGroup())
        .bind("placeGroup", list.placeGroup())
        .bind("reminder", list.reminderAfterSeconds());
  }

  @Override
  public Optional<WorkList> findList(String orgId, String id) {
    return listsWhere(orgId, "l.id = :key", id, true).stream().findFirst();
  }

  @Override
  public Optional<WorkList> findListDefinition(String orgId, String id) {
    return listsWhere(orgId, "l.id = :key", id, false).stream().findFirst();
  }

  @Override
  public Optional<WorkList> findListByName(String orgId, String name) {
    return listsWhere(orgId, "l.name = :key", name, true).stream().findFirst();
  }

  @Override
  public List<WorkList> lists(String orgId) {
    return listsWhere(orgId, "1 = 1", null, true);
  }

  /** Lists matching {@code condition}; with {@code counted}, their open requests per state. */
  private List<WorkList> listsWhere(String orgId, String condition, String key, boolean counted) {
    return jdbi.withHandle(
        handle -> {
          var query =
              handle.createQuery(LIST_SELECT + condition + " ORDER BY l.name").bind("org", orgId);
          if (key != null) {
            query.bind("key", key);
          }
          List<Object[]> rows =
              query
                  .map(
                      (rs, ctx) ->
                          new Object[] {
                            rs.getString("id"),
                            rs.getString("name"),
                            rs.getString("description"),
                            rs.getString("agent_group"),
                            rs.getString("place_group"),
                            instant(rs, "created_at"),
                            (Integer) rs.getObject("reminder_after_seconds")
                          })
                  .list();
          Map<String, Map<String, Integer>> counts = new HashMap<>();
          if (counted && !rows.isEmpty()) {
            handle
                .createQuery(
                    "SELECT list_id, state, COUNT(*) AS n FROM conversation"
                        + " WHERE org_id = :org AND list_id IN (<ids>) AND state IN (<states>)"
                        + " AND pulled_by IS NULL"
                        + " GROUP BY list_id, state")
                .bind("org", orgId)
                .bindList("ids", rows.stream().map(row -> row[0]).toList())
                .bindList("states", OPEN_STATES)
                .map((rs, ctx) -> new Object[] {rs.getString(1), rs.getString(2), rs.getInt(3)})
                .forEach(
                    row ->
                        counts
                            .computeIfAbsent((String) row[0], k -> new HashMap<>())
                            .put((String) row[1], (Integer) row[2]));
          }
          return rows.stream()
              .map(
                  row -> {
                    Map<String, Integer> perState = new HashMap<>();
                    for (String state : OPEN_STATES) {
                      perState.put(
                          state,
                          counts.getOrDefault((String) row[0], Map.of()).getOrDefault(state, 0));
                    }
                    return new WorkList(
                        (String) row[0],
                        orgId,
                        (String) row[1],
                        (String) row[2],
                        (String) row[3],
                        (String) row[4],
                        (Integer) row[6],
                        perState,
                        (Instant) row[5]);
                  })
              .toList();
        });
  }

  @Override
  public boolean deleteList(String orgId, String id) {
    return delete("list", "DELETE FROM work_list WHERE org_id = :org AND id = :id", orgId, id);
  }

  // ---- channels

  private static final String CHANNEL_COLUMNS =
      "id, org_id, name, service_identifier, channel_type, routing_mode, list_id,"
          + " customer_activity_timeout, agent_request_ttl, created_at";

  @Override
  public void insertChannel(Channel channel) {
    unique(
        "name",
        "a channel named '" + channel.name() + "' already exists",
        () ->
            jdbi.useHandle(
                handle ->
                    bindChannel(
                            handle.createUpdate(
                                "INSERT INTO channel ("
                                    + CHANNEL_COLUMNS
                                    + ") VALUES (:id, :org, :name, :serviceIdentifier,"
                                    + " :channelType, :routingMode, :listId, :activityTimeout,"
                                    + " :ttl, :now)"),
                            channel)
                        .execute()));
  }

  @Override
  public void updateChannel(Channel channel) {
    unique(
        "name",
        "a channel named '" + channel.name() + "' already exists",
        () ->
            jdbi.useHandle(
                handle ->
                    bindChannel(
                            handle.createUpdate(
                                "UPDATE channel SET name = :name, service_identifier ="
                                    + " :serviceIdentifier, channel_type = :channelType,"
                                    + " routing_mode = :routingMode, list_id = :listId,"
                                    + " customer_activity_timeout = :activityTimeout,"
                                    + " agent_request_ttl = :ttl"
                                    + " WHERE org_id = :org AND id = :id"),
                            channel)
                        .execute()));
  }

  private static org.jdbi.v3.core.statement.Update bindChannel(
      org.jdbi.v3.core.statement.Update update, Channel channel) {
    return update
        .bind("id", channel.id())
        .bind("org", channel.orgId())
        .bind("name", channel.name())
        .bind("serviceIdentifier", channel.serviceIdentifier())
        .bind("channelType", channel.channelType())
        .bind("routingMode", channel.routingMode())
        .bind("listId", channel.listId())
        .bind("activityTimeout", channel.customerActivityTimeout())
        .bind("ttl", channel.agentRequestTtl())
        .bind("now", channel.createdAt());
  }

  @Override
  public Optional<Channel> findChannel(String orgId, String id) {
    return channelsWhere(orgId, "id = :key", id).stream().findFirst();
  }

  @Override
  public Optional<Channel> findChannelByName(String orgId, String name) {
    return channelsWhere(orgId, "name = :key", name).stream().findFirst();
  }

  @Override
  public List<Channel> channels(String orgId) {
    return channelsWhere(orgId, "1 = 1", null);
  }

  private List<Channel> channelsWhere(String orgId, String condition, String key) {
    return jdbi.withHandle(
        handle -> {
          var query =
              handle
                  .createQuery(
                      "SELECT "
                          + CHANNEL_COLUMNS
                          + " FROM channel WHERE org_id = :org AND "
                          + condition
                          + " ORDER BY name")
                  .bind("org", orgId);
          if (key != null) {
            query.bind("key", key);
          }
          return query
              .map(
                  (rs, ctx) ->
                      new Channel(
                          rs.getString("id"),
                          rs.getString("org_id"),
                          rs.getString("name"),
                          rs.getString("service_identifier"),
                          rs.getString("channel_type"),
                          rs.getString("routing_mode"),
                          rs.getString("list_id"),
                          (Integer) rs.getObject("customer_activity_timeout"),
                          (Integer) rs.getObject("agent_request_ttl"),
                          instant(rs, "created_at")))
              .list();
        });
  }

  @Override
  public boolean deleteChannel(String orgId, String id) {
    return delete("channel", "DELETE FROM channel WHERE org_id = :org AND id = :id", orgId, id);
  }

  // ---- shared

  private boolean delete(String what, String sql, String orgId, String id) {
    return delete(what, sql, orgId, id, Outbox.NONE);
  }

  private boolean delete(String what, String sql, String orgId, String id, Outbox outbox) {
    return delete(
        what,
        sql,
        orgId,
        id,
        outbox,
        "the " + what + " " + id + " is still in use and cannot be deleted");
  }

  /**
   * Deletes one row; its events are appended only when there was a row. A row other rows still
   * refer to is a {@link Conflict} that says {@code inUse}.
   */
  private boolean delete(
      String what, String sql, String orgId, String id, Outbox outbox, String inUse) {
    try {
      return jdbi.inTransaction(
          handle -> {
            boolean deleted =
                handle.createUpdate(sql).bind("org", orgId).bind("id", id).execute() == 1;
            if (deleted) {
              append(handle, orgId, outbox);
            }
            return deleted;
          });
    } catch (RuntimeException e) {
      if (StoreErrors.isForeignKeyViolation(e)) {
        throw new Conflict(what, inUse);
      }
      throw e;
    }
  }

  /**
   * Ends the subscriptions to lists that their users may no longer work on (the view {@code
   * list_permission}), among those of {@code list_subscription s} that {@code scope} (bound to
   * {@code key}) selects: in the transaction of the change that ended the permission, after it
   * updated the row the permission rests on (a user, group or list). A subscribe locks those rows
   * and checks the permission in its own transaction (RoutingRepository.Tx#subscribeIfAllowed), so
   * it either sees this change, or this change waits for its commit and sees its subscription here.
   */
  private static void endLostSubscriptions(Handle handle, String scope, String key) {
    handle
        .createUpdate(
            "DELETE FROM list_subscription s WHERE "
                + scope
                + " AND NOT EXISTS (SELECT 1 FROM list_permission p"
                + " WHERE p.user_id = s.user_id AND p.list_id = s.list_id)")
        .bind("key", key)
        .execute();
  }

  /**
   * Runs an administrator's change that may end subscriptions ({@link #endLostSubscriptions}) in a
   * transaction, again when the store rolled it back to break a deadlock (up to {@value
   * #CHANGE_ATTEMPTS} runs in all). Its clean-up waits for subscription rows a group of routing
   * commands may hold, and that group may wait for the row the change updated first (an unsubscribe
   * and a later subscribe of the list in one group): the store then rolls one of the two back. The
   * group runs again by itself (GroupCommit); so does the change, instead of answering a 500.
   *
   * <p>Such changes of one organization run one at a time: each locks its organization's row first.
   * Two at once that update different rows (a user made an agent, and removed from the group that
   * owns a list it subscribed to) would otherwise each end only what the other's uncommitted update
   * did not yet take away, and together leave the subscription. The lock lets the rows that name
   * the organization be written meanwhile ({@link Dialect#rowLockForChange}).
   */
  private void changing(String orgId, org.jdbi.v3.core.HandleConsumer<RuntimeException> change) {
    for (int run = 1; ; run++) {
      try {
        jdbi.useTransaction(
            handle -> {
              handle
                  .createQuery(
                      "SELECT id FROM organization WHERE id = :org " + dialect.rowLockForChange())
                  .bind("org", orgId)
                  .mapTo(String.class)
                  .findOne();
              change.useHandle(handle);
            });
        return;
      } catch (RuntimeException e) {
        if (run == CHANGE_ATTEMPTS || !StoreErrors.isDeadlock(e)) {
          throw e;
        }
      }
    }
  }

  private static void append(Handle handle, String orgId, Outbox outbox) {
    if (!outbox.isEmpty()) {
      JdbiEventLog.append(handle, outbox.at(), orgId, outbox.correlationId(), outbox.events());
    }
  }

  private static void unique(String field, String message, Runnable write) {
    try {
      write.run();
    } catch (RuntimeException e) {
      if (StoreErrors.isUniqueViolation(e)) {
        throw new Conflict(field, message);
      }
      throw e;
    }
  }
}
