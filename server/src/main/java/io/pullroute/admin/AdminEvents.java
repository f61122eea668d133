package io.pullroute.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pullroute.events.Audience;
import io.pullroute.events.EventDraft;
import io.pullroute.http.Json;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code changeNotification.user} and {@code changeNotification.team} events of the
 * administration API: the changed resource and what happened to it ({@code created}, {@code
 * updated}, {@code deleted}).
 */
final class AdminEvents {
  private static final ObjectMapper JSON = Json.newMapper();

  private AdminEvents() {}

  static EventDraft user(User user, String action) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("id", user.id());
    payload.put("username", user.username());
    payload.put("firstName", user.firstName());
    payload.put("lastName", user.lastName());
    new TreeSet<>(user.roles()).forEach(payload.putArray("roles")::add);
    payload.put("place", user.place());
    payload.put("action", action);
    return new EventDraft(
        "changeNotification.user",
        "users",
        user.id(),
        Set.of(Audience.user(user.id())),
        payload.toString());
  }

  static EventDraft userDeleted(String userId) {
    ObjectNode payload = JSON.createObjectNode().put("id", userId).put("action", "deleted");
    return new EventDraft(
        "changeNotification.user",
        "users",
        userId,
        Set.of(Audience.user(userId)),
        payload.toString());
  }

  static EventDraft team(MemberGroup team, String action) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("id", team.id());
    payload.put("name", team.name());
    payload.put("description", team.description());
    team.members().forEach(payload.putArray("members")::add);
    payload.put("action", action);
    return new EventDraft(
        "changeNotification.team",
        "teams",
        team.id(),
        Set.of(Audience.team(team.id())),
        payload.toString());
  }

  static EventDraft teamDeleted(String teamId) {
    ObjectNode payload = JSON.createObjectNode().put("id", teamId).put("action", "deleted");
    return new EventDraft(
        "changeNotification.team",
        "teams",
        teamId,
        Set.of(Audience.team(teamId)),
        payload.toString());
  }
}
