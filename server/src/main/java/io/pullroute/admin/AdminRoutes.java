package io.pullroute.admin;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.pullroute.auth.Principal;
import io.pullroute.auth.Scopes;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.http.JsonBody;
import io.pullroute.http.Requests;
import io.pullroute.http.RouteTable;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The administration API under {@code /api/v1} (scope {@code admin}; the organization comes from
 * the token) and the operator's {@code /api/v1/organizations}.
 */
public final class AdminRoutes {
  private static final Set<String> USER_FIELDS =
      Set.of("username", "password", "firstName", "lastName", "roles", "place");
  private static final Set<String> GROUP_FIELDS = Set.of("name", "description", "members");
  private static final Set<String> PLACE_GROUP_FIELDS = Set.of("name", "places");
  private static final Set<String> LIST_FIELDS =
      Set.of("name", "description", "agentGroup", "placeGroup", "reminderAfter");
  private static final Set<String> CHANNEL_FIELDS =
      Set.of(
          "name",
          "serviceIdentifier",
          "channelType",
          "routingMode",
          "listId",
          "customerActivityTimeout",
          "agentRequestTtl");

  private final AdminService admin;
  private final OrganizationService organizations;
  private final InstantSource clock;

  public AdminRoutes(AdminService admin, OrganizationService organizations, InstantSource clock) {
    this.admin = admin;
    this.organizations = organizations;
    this.clock = clock;
  }

  public void register(RouteTable routes) {
    routes
        .add(
            HandlerType.POST,
            "/api/v1/organizations",
            "operator",
            "Create an organization (scope operator): its API key and admin client",
            this::createOrganization)
        .add(
            HandlerType.GET,
            "/api/v1/organizations",
            "operator",
            "List organizations (scope operator)",
            this::listOrganizations)
        .add(
            HandlerType.GET,
            "/api/v1/me",
            "administration",
            "The caller: id, username, roles, orgId",
            this::me);

    routes
        .add(HandlerType.POST, "/api/v1/users", "administration", "Create a user", this::createUser)
        .add(
            HandlerType.GET,
            "/api/v1/users",
            "administration",
            "List users",
            ctx -> ctx.json(admin.users(adminOrg(ctx)).stream().map(UserView::from).toList()))
        .add(
            HandlerType.GET,
            "/api/v1/users/{id}",
            "administration",
            "Read a user",
            ctx -> ctx.json(UserView.from(admin.user(adminOrg(ctx), ctx.pathParam("id")))))
        .add(
            HandlerType.PATCH,
            "/api/v1/users/{id}",
            "administration",
            "Change a user",
            this::patchUser)
        .add(
            HandlerType.DELETE,
            "/api/v1/users/{id}",
            "administration",
            "Delete a user",
            ctx -> {
              admin.deleteUser(adminOrg(ctx), ctx.pathParam("id"), Requests.correlationId(ctx));
              ctx.status(204);
            });

    registerGroups(routes, "/api/v1/teams", MemberGroup.Kind.TEAM);
    registerGroups(routes, "/api/v1/agent-groups", MemberGroup.Kind.AGENT_GROUP);

    routes
        .add(
            HandlerType.POST,
            "/api/v1/place-groups",
            "administration",
            "Create a place group",
            this::createPlaceGroup)
        .add(
            HandlerType.GET,
            "/api/v1/place-groups",
            "administration",
            "List place groups",
            ctx ->
                ctx.json(
                    admin.placeGroups(adminOrg(ctx)).stream().map(PlaceGroupView::from).toList()))
        .add(
            HandlerType.GET,
            "/api/v1/place-groups/{id}",
            "administration",
            "Read a place group",
            ctx ->
                ctx.json(PlaceGroupView.from(admin.placeGroup(adminOrg(ctx), ctx.pathParam("id")))))
        .add(
            HandlerType.PATCH,
            "/api/v1/place-groups/{id}",
            "administration",
            "Change a place group",
            this::patchPlaceGroup)
        .add(
            HandlerType.DELETE,
            "/api/v1/place-groups/{id}",
            "administration",
            "Delete a place group",
            ctx -> {
              admin.deletePlaceGroup(adminOrg(ctx), ctx.pathParam("id"));
              ctx.status(204);
            });

    routes
        .add(HandlerType.POST, "/api/v1/lists", "administration", "Create a list", this::createList)
        .add(
            HandlerType.GET,
            "/api/v1/lists",
            "administration",
            "List lists with their counts per state (any user of the organization)",
            ctx -> ctx.json(admin.lists(Requests.org(ctx)).stream().map(ListView::from).toList()))
        .add(
            HandlerType.GET,
            "/api/v1/lists/{id}",
            "administration",
            "Read a list with its counts per state (any user of the organization)",
            ctx -> ctx.json(ListView.from(admin.list(Requests.org(ctx), ctx.pathParam("id")))))
        .add(
            HandlerType.PATCH,
            "/api/v1/lists/{id}",
            "administration",
            "Change a list",
            this::patchList)
        .add(
            HandlerType.DELETE,
            "/api/v1/lists/{id}",
            "administration",
            "Delete a list (409 while a channel or request refers to it)",
            ctx -> {
              admin.deleteList(adminOrg(ctx), ctx.pathParam("id"));
              ctx.status(204);
            });

    routes
        .add(
            HandlerType.POST,
            "/api/v1/channels",
            "administration",
            "Create a channel (a PULL channel needs an existing listId)",
            this::createChannel)
        .add(
            HandlerType.GET,
            "/api/v1/channels",
            "administration",
            "List channels",
            ctx -> ctx.json(admin.channels(adminOrg(ctx))))
        .add(
            HandlerType.GET,
            "/api/v1/channels/{id}",
            "administration",
            "Read a channel",
            ctx -> ctx.json(admin.channel(adminOrg(ctx), ctx.pathParam("id"))))
        .add(
            HandlerType.PATCH,
            "/api/v1/channels/{id}",
            "administration",
            "Change a channel",
            this::patchChannel)
        .add(
            HandlerType.DELETE,
            "/api/v1/channels/{id}",
            "administration",
            "Delete a channel",
            ctx -> {
              admin.deleteChannel(adminOrg(ctx), ctx.pathParam("id"));
              ctx.status(204);
            });
  }

  private static String adminOrg(Context ctx) {
    return Requests.orgWithScope(ctx, Scopes.ADMIN);
  }

  private Instant now() {
    return clock.instant();
  }

  // ---- organizations and me

  private void createOrganization(Context ctx) {
    requireOperator(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(Set.of("orgId"));
    OrganizationService.Created created = organizations.create(body.requiredString("orgId"));
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("orgId", created.orgId());
    reply.put("apiKey", created.apiKey());
    reply.put(
        "adminClient",
        Map.of("clientId", created.clientId(), "clientSecret", created.clientSecret()));
    ctx.status(201).json(reply);
  }

  private void listOrganizations(Context ctx) {
    requireOperator(ctx);
    ctx.json(organizations.ids().stream().map(id -> Map.of("orgId", id)).toList());
  }

  private static void requireOperator(Context ctx) {
    if (!Requests.principal(ctx).hasScope(Scopes.OPERATOR)) {
      throw new Forbidden("this call needs scope 'operator'");
    }
  }

  private void me(Context ctx) {
    Principal principal = Requests.principal(ctx);
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("id", principal.subject());
    reply.put("username", principal.username());
    reply.put("roles", new TreeSet<>(principal.roles()));
    reply.put("orgId", principal.orgId());
    reply.put("kind", principal.isUser() ? "user" : "client");
    reply.put("scopes", new TreeSet<>(principal.scopes()));
    ctx.json(reply);
  }

  // ---- users

  /** The wire form of a user; the password never leaves the server. */
  record UserView(
      String id,
      String username,
      String firstName,
      String lastName,
      Set<String> roles,
      String place,
      Instant createdAt) {
    static UserView from(User user) {
      return new UserView(
          user.id(),
          user.username(),
          user.firstName(),
          user.lastName(),
          new TreeSet<>(user.roles()),
          user.place(),
          user.createdAt());
    }
  }

  private void createUser(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(USER_FIELDS);
    User user =
        new User(
            Ids.newId(),
            orgId,
            body.requiredString("username"),
            body.optionalString("firstName").orElse(null),
            body.optionalString("lastName").orElse(null),
            new HashSet<>(body.optionalStringList("roles").orElse(List.of("agent"))),
            body.optionalString("place").orElse(null),
            now());
    User created =
        admin.createUser(
            user, body.optionalString("password").orElse(null), Requests.correlationId(ctx));
    ctx.status(201).json(UserView.from(created));
  }

  private void patchUser(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(USER_FIELDS);
    User current = admin.user(orgId, ctx.pathParam("id"));
    User changed =
        new User(
            current.id(),
            orgId,
            body.has("username") ? body.requiredString("username") : current.username(),
            body.has("firstName")
                ? body.optionalString("firstName").orElse(null)
                : current.firstName(),
            body.has("lastName")
                ? body.optionalString("lastName").orElse(null)
                : current.lastName(),
            body.has("roles")
                ? new HashSet<>(body.optionalStringList("roles").orElse(List.of()))
                : current.roles(),
            body.has("place") ? body.optionalString("place").orElse(null) : current.place(),
            current.createdAt());
    ctx.json(
        UserView.from(
            admin.updateUser(
                changed,
                body.optionalString("password").orElse(null),
                Requests.correlationId(ctx))));
  }

  // ---- teams and agent groups

  /** The wire form of a team or agent group. */
  record GroupView(
      String id, String name, String description, List<String> members, Instant createdAt) {
    static GroupView from(MemberGroup group) {
      return new GroupView(
          group.id(), group.name(), group.description(), group.members(), group.createdAt());
    }
  }

  private void registerGroups(RouteTable routes, String path, MemberGroup.Kind kind) {
    String label = kind.label();
    routes
        .add(
            HandlerType.POST,
            path,
            "administration",
            "Create a " + label + " (members: user ids)",
            ctx -> {
              String orgId = adminOrg(ctx);
              JsonBody body = JsonBody.of(ctx).allowOnly(GROUP_FIELDS);
              MemberGroup group =
                  new MemberGroup(
                      kind,
                      Ids.newId(),
                      orgId,
                      body.requiredString("name"),
                      body.optionalString("description").orElse(null),
                      body.optionalStringList("members").orElse(List.of()),
                      now());
              ctx.status(201)
                  .json(GroupView.from(admin.createGroup(group, Requests.correlationId(ctx))));
            })
        .add(
            HandlerType.GET,
            path,
            "administration",
            "List " + label + "s",
            ctx ->
                ctx.json(admin.groups(kind, adminOrg(ctx)).stream().map(GroupView::from).toList()))
        .add(
            HandlerType.GET,
            path + "/{id}",
            "administration",
            "Read a " + label,
            ctx -> ctx.json(GroupView.from(admin.group(kind, adminOrg(ctx), ctx.pathParam("id")))))
        .add(
            HandlerType.PATCH,
            path + "/{id}",
            "administration",
            "Change a " + label,
            ctx -> {
              String orgId = adminOrg(ctx);
              JsonBody body = JsonBody.of(ctx).allowOnly(GROUP_FIELDS);
              MemberGroup current = admin.group(kind, orgId, ctx.pathParam("id"));
              MemberGroup changed =
                  new MemberGroup(
                      kind,
                      current.id(),
                      orgId,
                      body.has("name") ? body.requiredString("name") : current.name(),
                      body.has("description")
                          ? body.optionalString("description").orElse(null)
                          : current.description(),
                      body.has("members")
                          ? body.optionalStringList("members").orElse(List.of())
                          : current.members(),
                      current.createdAt());
              ctx.json(GroupView.from(admin.updateGroup(changed, Requests.correlationId(ctx))));
            })
        .add(
            HandlerType.DELETE,
            path + "/{id}",
            "administration",
            "Delete a "
                + label
                + (kind == MemberGroup.Kind.AGENT_GROUP ? " (409 while it owns a list)" : ""),
            ctx -> {
              admin.deleteGroup(
                  kind, adminOrg(ctx), ctx.pathParam("id"), Requests.correlationId(ctx));
              ctx.status(204);
            });
  }

  // ---- place groups

  /** The wire form of a place group. */
  record PlaceGroupView(String id, String name, List<String> places, Instant createdAt) {
    static PlaceGroupView from(PlaceGroup group) {
      return new PlaceGroupView(group.id(), group.name(), group.places(), group.createdAt());
    }
  }

  private void createPlaceGroup(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(PLACE_GROUP_FIELDS);
    PlaceGroup group =
        new PlaceGroup(
            Ids.newId(),
            orgId,
            body.requiredString("name"),
            body.optionalStringList("places").orElse(List.of()),
            now());
    ctx.status(201).json(PlaceGroupView.from(admin.createPlaceGroup(group)));
  }

  private void patchPlaceGroup(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(PLACE_GROUP_FIELDS);
    PlaceGroup current = admin.placeGroup(orgId, ctx.pathParam("id"));
    PlaceGroup changed =
        new PlaceGroup(
            current.id(),
            orgId,
            body.has("name") ? body.requiredString("name") : current.name(),
            body.has("places")
                ? body.optionalStringList("places").orElse(List.of())
                : current.places(),
            current.createdAt());
    ctx.json(PlaceGroupView.from(admin.updatePlaceGroup(changed)));
  }

  // ---- lists

  /** The wire form of a list, with its open requests counted per state. */
  record ListView(
      String id,
      String name,
      String description,
      String agentGroup,
      String placeGroup,
      Integer reminderAfter,
      Map<String, Integer> counts,
      Instant createdAt) {
    static ListView from(WorkList list) {
      return new ListView(
          list.id(),
          list.name(),
          list.description(),
          list.agentGroup(),
          list.placeGroup(),
          list.reminderAfterSeconds(),
          new java.util.TreeMap<>(list.counts()),
          list.createdAt());
    }
  }

  private void createList(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(LIST_FIELDS);
    WorkList list =
        new WorkList(
            Ids.newId(),
            orgId,
            body.requiredString("name"),
            body.optionalString("description").orElse(null),
            body.optionalString("agentGroup").orElse(null),
            body.optionalString("placeGroup").orElse(null),
            body.optionalInt("reminderAfter").orElse(null),
            Map.of(),
            now());
    ctx.status(201).json(ListView.from(admin.createList(list)));
  }

  private void patchList(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(LIST_FIELDS);
    WorkList current = admin.list(orgId, ctx.pathParam("id"));
    WorkList changed =
        new WorkList(
            current.id(),
            orgId,
            body.has("name") ? body.requiredString("name") : current.name(),
            body.has("description")
                ? body.optionalString("description").orElse(null)
                : current.description(),
            body.has("agentGroup")
                ? body.optionalString("agentGroup").orElse(null)
                : current.agentGroup(),
            body.has("placeGroup")
                ? body.optionalString("placeGroup").orElse(null)
                : current.placeGroup(),
            body.has("reminderAfter")
                ? body.optionalInt("reminderAfter").orElse(null)
                : current.reminderAfterSeconds(),
            current.counts(),
            current.createdAt());
    ctx.json(ListView.from(admin.updateList(changed)));
  }

  // ---- channels (the domain record is its own wire form: it holds nothing secret)

  private void createChannel(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(CHANNEL_FIELDS);
    Channel channel =
        new Channel(
            Ids.newId(),
            orgId,
            body.requiredString("name"),
            body.optionalString("serviceIdentifier").orElse(null),
            body.requiredString("channelType"),
            body.optionalString("routingMode").orElse("PULL"),
            body.optionalString("listId").orElse(null),
            body.optionalInt("customerActivityTimeout").orElse(null),
            body.optionalInt("agentRequestTtl").orElse(null),
            now());
    ctx.status(201).json(admin.createChannel(channel));
  }

  private void patchChannel(Context ctx) {
    String orgId = adminOrg(ctx);
    JsonBody body = JsonBody.of(ctx).allowOnly(CHANNEL_FIELDS);
    Channel current = admin.channel(orgId, ctx.pathParam("id"));
    Channel changed =
        new Channel(
            current.id(),
            orgId,
            body.has("name") ? body.requiredString("name") : current.name(),
            body.has("serviceIdentifier")
                ? body.optionalString("serviceIdentifier").orElse(null)
                : current.serviceIdentifier(),
            body.has("channelType") ? body.requiredString("channelType") : current.channelType(),
            body.has("routingMode") ? body.requiredString("routingMode") : current.routingMode(),
            body.has("listId") ? body.optionalString("listId").orElse(null) : current.listId(),
            body.has("customerActivityTimeout")
                ? body.optionalInt("customerActivityTimeout").orElse(null)
                : current.customerActivityTimeout(),
            body.has("agentRequestTtl")
                ? body.optionalInt("agentRequestTtl").orElse(null)
                : current.agentRequestTtl(),
            current.createdAt());
    ctx.json(admin.updateChannel(changed));
  }
}
