package io.pullroute.admin;

import io.pullroute.auth.AuthService;
import io.pullroute.auth.Scopes;
import io.pullroute.common.Ids;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The demo organization of {@code --demo} (DESIGN.md §3). Idempotent: what exists is left as it is,
 * what is missing is created, so a restart with {@code --demo} changes nothing.
 */
public final class Demo {
  public static final String ORG = "demo";
  public static final String API_KEY = "demo-api-key";
  public static final String OPERATOR_CLIENT = "demo-operator";
  public static final String OPERATOR_SECRET = "demo-operator-secret";
  public static final String ADMIN_CLIENT = "demo-admin";
  public static final String ADMIN_SECRET = "demo-admin-secret";
  public static final String PASSWORD = "demo";

  private final AdminService admin;
  private final OrganizationService organizations;
  private final AuthService auth;
  private final InstantSource clock;

  public Demo(
      AdminService admin,
      OrganizationService organizations,
      AuthService auth,
      InstantSource clock) {
    this.admin = admin;
    this.organizations = organizations;
    this.auth = auth;
    this.clock = clock;
  }

  public void bootstrap() {
    auth.ensureClient(OPERATOR_CLIENT, null, OPERATOR_SECRET, Set.of(Scopes.OPERATOR));
    if (!organizations.exists(ORG)) {
      organizations.create(ORG, API_KEY, ADMIN_CLIENT, ADMIN_SECRET);
    }
    AdminRepository repository = admin.repository();
    List<String> agentIds = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      agentIds.add(user("agent" + i, "Agent", Integer.toString(i), "agent", "place" + i));
    }
    user("supervisor1", "Super", "Visor", "supervisor", null);
    group("Support Team", agentIds.subList(0, 3));
    group("Sales Team", agentIds.subList(3, 5));
    if (repository.findPlaceGroupByName(ORG, "Front Desk").isEmpty()) {
      admin.createPlaceGroup(
          new PlaceGroup(
              Ids.newId(),
              ORG,
              "Front Desk",
              List.of("place1", "place2", "place3"),
              clock.instant()));
    }
    String support = list("Support", "Support requests from the web", "Support Team");
    String sales = list("Sales", "Sales requests by email", "Sales Team");
    channel("web", "WEB", support);
    channel("email", "EMAIL", sales);
  }

  private String user(String username, String first, String last, String role, String place) {
    return admin
        .repository()
        .findUserByName(ORG, username)
        .orElseGet(
            () ->
                admin.createUser(
                    new User(
                        Ids.newId(),
                        ORG,
                        username,
                        first,
                        last,
                        Set.of(role),
                        place,
                        clock.instant()),
                    PASSWORD,
                    "demo"))
        .id();
  }

  private void group(String name, List<String> members) {
    if (admin.repository().findGroupByName(MemberGroup.Kind.AGENT_GROUP, ORG, name).isEmpty()) {
      admin.createGroup(
          new MemberGroup(
              MemberGroup.Kind.AGENT_GROUP, Ids.newId(), ORG, name, null, members, clock.instant()),
          "demo");
    }
  }

  private String list(String name, String description, String owner) {
    return admin
        .repository()
        .findListByName(ORG, name)
        .orElseGet(
            () ->
                admin.createList(
                    new WorkList(
                        Ids.newId(),
                        ORG,
                        name,
                        description,
                        owner,
                        null,
                        null,
                        Map.of(),
                        clock.instant())))
        .id();
  }

  private void channel(String name, String type, String listId) {
    if (admin.repository().findChannelByName(ORG, name).isEmpty()) {
      admin.createChannel(
          new Channel(
              Ids.newId(),
              ORG,
              name,
              name + "-service",
              type,
              "PULL",
              listId,
              null,
              null,
              clock.instant()));
    }
  }

  /** What the server prints for a person trying the demo. */
  public static String credentials() {
    return """
        demo organization 'demo' (x-api-key: demo-api-key)
          operator client: demo-operator / demo-operator-secret
          admin client:    demo-admin / demo-admin-secret
          agents:          agent1 … agent5, supervisor1 (password: demo)\
        """;
  }
}
