package io.pullroute.workbins;

import io.pullroute.admin.AdminRepository;
import io.pullroute.admin.Channel;
import io.pullroute.admin.MemberGroup;
import io.pullroute.admin.User;
import io.pullroute.admin.WorkList;
import io.pullroute.auth.Principal;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.routing.Conversation;
import io.pullroute.routing.RoutingService;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Genesys workbin model over lists: which workbins an agent has, what they hold, and the
 * operations Subscribe, Unsubscribe, Pull* and Add*. Thread-safe.
 */
public final class WorkbinService {
  private final RoutingService routing;
  private final AdminRepository admin;

  public WorkbinService(RoutingService routing, AdminRepository admin) {
    this.routing = routing;
    this.admin = admin;
    routing.onReleased(this::released);
    routing.onParked(this::parked);
  }

  /** A new request on a group-owned list: ItemAdded to the group's workbin, as Genesys tells. */
  private List<io.pullroute.events.EventDraft> parked(
      Conversation parked, java.util.function.LongSupplier referenceId) {
    return groupWorkbinOf(parked)
        .map(
            workbin ->
                List.of(
                    WorkbinEvents.itemChange(
                        "ItemAdded",
                        workbin,
                        parked,
                        mediaOfChannel(parked.orgId(), parked.channelId()),
                        referenceId.getAsLong())))
        .orElse(List.of());
  }

  /**
   * A request left a workbin without a workbin operation. From an agent's own: ItemRemoved there,
   * and ItemAdded to its group's workbin when it went back on a group-owned list. Closed while on a
   * group-owned list ({@code holder} null): ItemRemoved from the group's workbin.
   */
  private List<io.pullroute.events.EventDraft> released(
      String holder, Conversation before, Conversation after, long referenceId) {
    Media media = mediaOfChannel(after.orgId(), after.channelId());
    if (holder == null) {
      return after.state().isOpen()
          ? List.of()
          : removedFromGroupWorkbin(before, media, referenceId).stream().toList();
    }
    List<io.pullroute.events.EventDraft> events = new ArrayList<>();
    events.add(
        WorkbinEvents.itemChange("ItemRemoved", ownWorkbinOf(holder), before, media, referenceId));
    if (after.state().isOpen()) {
      groupWorkbinOf(after)
          .ifPresent(
              workbin ->
                  events.add(
                      WorkbinEvents.itemChange("ItemAdded", workbin, after, media, referenceId)));
    }
    return events;
  }

  /** ItemRemoved from the group workbin {@code before} waited in, if a group owns its list. */
  private Optional<io.pullroute.events.EventDraft> removedFromGroupWorkbin(
      Conversation before, Media media, long referenceId) {
    return groupWorkbinOf(before)
        .map(
            workbin ->
                WorkbinEvents.itemChange("ItemRemoved", workbin, before, media, referenceId));
  }

  /** The own workbin of user {@code userId}, as its notifications name it. */
  private static Workbin ownWorkbinOf(String userId) {
    return new Workbin(userId, "workbin of " + userId, Workbin.Type.Agent, null);
  }

  /** The workbin of the group that owns {@code conversation}'s list, if one does. */
  private Optional<Workbin> groupWorkbinOf(Conversation conversation) {
    return admin
        .findListDefinition(conversation.orgId(), conversation.listId())
        .flatMap(this::group);
  }

  /** The caller's own workbin and the workbins of its groups. */
  public List<Workbin> workbins(Principal principal) {
    User user = user(principal);
    List<Workbin> workbins = new ArrayList<>();
    workbins.add(own(user));
    for (WorkList list : admin.lists(principal.orgId())) {
      group(list)
          .filter(workbin -> routing.mayWorkOn(principal, list.id()))
          .filter(workbin -> isMember(principal, user, workbin))
          .ifPresent(workbins::add);
    }
    return workbins;
  }

  /**
   * The workbin {@code id} as the caller names it: a group's workbin must be named with its group
   * ({@code agentGroup} or {@code placeGroup}), the caller's own without.
   */
  public Workbin resolve(Principal principal, String id, String agentGroup, String placeGroup) {
    User user = user(principal);
    if (agentGroup != null && placeGroup != null) {
      throw new InvalidInput("placeGroup", "name either agentGroup or placeGroup, not both");
    }
    if (id.equals(user.id())) {
      if (agentGroup != null || placeGroup != null) {
        throw new InvalidInput(
            agentGroup != null ? "agentGroup" : "placeGroup",
            "workbin " + id + " is the agent's own; it belongs to no group");
      }
      return own(user);
    }
    WorkList list =
        admin
            .findListDefinition(principal.orgId(), id)
            .orElseThrow(() -> new NotFound("workbin", id));
    Workbin workbin = group(list).orElseThrow(() -> new NotFound("workbin", id));
    String given = workbin.type() == Workbin.Type.AgentGroup ? agentGroup : placeGroup;
    String parameter = workbin.type() == Workbin.Type.AgentGroup ? "agentGroup" : "placeGroup";
    if (given == null) {
      throw InvalidInput.required(parameter);
    }
    if (!given.equals(workbin.group())
        || (workbin.type() == Workbin.Type.AgentGroup && placeGroup != null)
        || (workbin.type() == Workbin.Type.PlaceGroup && agentGroup != null)) {
      throw new InvalidInput(
          parameter, "workbin " + id + " belongs to " + parameter + " " + workbin.group());
    }
    if (!isMember(principal, user, workbin)) {
      throw new Forbidden("not a member of " + parameter + " " + workbin.group());
    }
    return workbin;
  }

  /** What a workbin holds, per media, for the media asked for. */
  public Map<Media, List<Conversation>> content(
      Principal principal, Workbin workbin, Set<Media> media) {
    List<Conversation> held =
        workbin.isGroup()
            ? routing.onList(principal, workbin.id(), RoutingService.OPEN)
            : routing.ownWorkbin(principal);
    Map<Media, List<Conversation>> content = new EnumMap<>(Media.class);
    media.forEach(kind -> content.put(kind, new ArrayList<>()));
    Map<String, Media> byChannel = new HashMap<>();
    for (Conversation conversation : held) {
      Media kind =
          byChannel.computeIfAbsent(
              conversation.channelId(), channel -> mediaOfChannel(principal.orgId(), channel));
      List<Conversation> items = content.get(kind);
      if (items != null) {
        items.add(conversation);
      }
    }
    return content;
  }

  /** Subscribe or Unsubscribe; returns the referenceId. */
  public long subscribe(
      Principal principal, Workbin workbin, boolean subscribe, String correlationId) {
    User user = user(principal);
    // An agent always hears its own workbin (no list to subscribe to); the answer still confirms.
    return routing.setSubscription(
        principal,
        workbin.isGroup() ? workbin.id() : null,
        subscribe,
        reference -> List.of(WorkbinEvents.subscription(workbin, user.id(), subscribe, reference)),
        correlationId);
  }

  /** PullInteraction or Pull{Media} from a group's workbin into the caller's own. */
  public long pull(
      Principal principal,
      Workbin workbin,
      String interactionId,
      Optional<Media> variant,
      String correlationId) {
    if (!workbin.isGroup()) {
      throw new InvalidInput(
          "operationName", "interactions are pulled from a group's workbin, not an agent's own");
    }
    User user = user(principal);
    Workbin own = own(user);
    return routing
        .pull(
            principal,
            interactionId,
            workbin.id(),
            conversation -> checkMedia(conversation, variant),
            (before, after, reference) -> {
              Media media = mediaOfChannel(after.orgId(), after.channelId());
              return List.of(
                  WorkbinEvents.itemChange("ItemRemoved", workbin, before, media, reference),
                  WorkbinEvents.itemChange("ItemAdded", own, after, media, reference));
            },
            correlationId)
        .referenceId();
  }

  /** AddInteraction or Add{Media}: puts an interaction the caller works on into a workbin. */
  public long add(
      Principal principal,
      Workbin workbin,
      String interactionId,
      Optional<Media> variant,
      String correlationId) {
    user(principal); // a user's token, of a user that still exists
    return routing
        .addToWorkbin(
            principal,
            interactionId,
            workbin.isGroup() ? workbin.id() : null,
            conversation -> checkMedia(conversation, variant),
            (heldBy, before, after, reference) -> {
              Media media = mediaOfChannel(after.orgId(), after.channelId());
              List<io.pullroute.events.EventDraft> events = new ArrayList<>();
              if (workbin.isGroup() && heldBy != null) {
                events.add(
                    WorkbinEvents.itemChange(
                        "ItemRemoved", ownWorkbinOf(heldBy), before, media, reference));
              }
              // On its list it waited in the list's group workbin (whose id is the list's), if a
              // group owns it: it leaves that workbin unless it is put back into the same one.
              if (heldBy == null && !before.listId().equals(workbin.id())) {
                removedFromGroupWorkbin(before, media, reference).ifPresent(events::add);
              }
              events.add(WorkbinEvents.itemChange("ItemAdded", workbin, after, media, reference));
              return events;
            },
            correlationId)
        .referenceId();
  }

  private void checkMedia(Conversation conversation, Optional<Media> variant) {
    Media actual = mediaOfChannel(conversation.orgId(), conversation.channelId());
    if (variant.isPresent() && variant.get() != actual) {
      throw new InvalidInput(
          "operationName",
          "interaction "
              + conversation.id()
              + " is "
              + actual.wireName()
              + ", not "
              + variant.get().wireName());
    }
  }

  Media mediaOfChannel(String orgId, String channelId) {
    return admin
        .findChannel(orgId, channelId)
        .map(Channel::channelType)
        .map(Media::ofChannelType)
        .orElse(Media.OPENMEDIA);
  }

  private Optional<Workbin> group(WorkList list) {
    if (list.agentGroup() != null) {
      return Optional.of(
          new Workbin(list.id(), list.name(), Workbin.Type.AgentGroup, list.agentGroup()));
    }
    if (list.placeGroup() != null) {
      return Optional.of(
          new Workbin(list.id(), list.name(), Workbin.Type.PlaceGroup, list.placeGroup()));
    }
    return Optional.empty();
  }

  private static Workbin own(User user) {
    return new Workbin(user.id(), user.username() + " workbin", Workbin.Type.Agent, null);
  }

  /** Membership: of the agent group, or at a place of the place group; supervisors always. */
  private boolean isMember(Principal principal, User user, Workbin workbin) {
    if (principal.hasRole("supervisor") || principal.hasRole("admin")) {
      return true;
    }
    return switch (workbin.type()) {
      case AgentGroup ->
          admin
              .findGroupByName(MemberGroup.Kind.AGENT_GROUP, user.orgId(), workbin.group())
              .map(group -> group.members().contains(user.id()))
              .orElse(false);
      case PlaceGroup ->
          user.place() != null
              && admin
                  .findPlaceGroupByName(user.orgId(), workbin.group())
                  .map(group -> group.places().contains(user.place()))
                  .orElse(false);
      case Agent -> workbin.id().equals(user.id());
    };
  }

  private User user(Principal principal) {
    principal.requireUser("workbins");
    return admin
        .findUser(principal.orgId(), principal.subject())
        .orElseThrow(() -> new Forbidden("the user of this token no longer exists"));
  }
}
