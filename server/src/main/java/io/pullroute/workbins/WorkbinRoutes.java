package io.pullroute.workbins;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.pullroute.auth.Principal;
import io.pullroute.common.PullrouteException;
import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.Forbidden;
import io.pullroute.common.PullrouteException.InvalidInput;
import io.pullroute.common.PullrouteException.MissingReference;
import io.pullroute.common.PullrouteException.NotFound;
import io.pullroute.common.PullrouteException.RateLimited;
import io.pullroute.http.FastRoute;
import io.pullroute.http.JsonBody;
import io.pullroute.http.Requests;
import io.pullroute.http.RouteTable;
import io.pullroute.routing.Conversation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The Genesys Web Services workbin API under {@code /api/v2/me/workbins}: answers carry {@code
 * statusCode} (0 on success); refusals are a 4xx with a non-zero {@code statusCode} and a {@code
 * statusMessage}, as Genesys documents them (1 missing parameter, 2 not valid for the current
 * state, 5 no permission, 6 not found).
 */
public final class WorkbinRoutes {
  private static final Set<String> FIELDS =
      Set.of("operationName", "id", "uri", "saveLAR", "nickname");

  private final WorkbinService workbins;

  public WorkbinRoutes(WorkbinService workbins) {
    this.workbins = workbins;
  }

  public void register(RouteTable routes) {
    routes
        .add(
            HandlerType.GET,
            "/api/v2/me/workbins",
            "workbins",
            "The caller's workbins: its own and its groups' (GetWorkbins)",
            genesys(this::list))
        .add(
            HandlerType.GET,
            "/api/v2/me/workbins/{id}",
            "workbins",
            "A workbin and, with subresources=*|chat|email|…, its interactions; a group's"
                + " workbin is named with agentGroup= or placeGroup= (GetWorkbinContent)",
            genesys(this::content))
        .add(
            HandlerType.GET,
            "/api/v2/workbins/{id}",
            "workbins",
            "The same as GET /api/v2/me/workbins/{id}: where a workbin's uri points",
            genesys(this::content))
        // The pull: served in front of the web framework, like the long poll (FastRoute).
        .fast(
            HandlerType.POST,
            "/api/v2/me/workbins/{id}",
            "workbins",
            "operationName Subscribe, Unsubscribe, PullInteraction (PullChat, PullEmail, …) or"
                + " AddInteraction (AddChat, AddEmail, …)",
            call -> {
              Object answer;
              try {
                answer = operate(call);
              } catch (PullrouteException refused) {
                answer = refusal(refused);
              }
              return CompletableFuture.completedFuture(answer);
            });
  }

  // ---- the Genesys reply shape

  /** Runs a handler and answers its refusals the Genesys way. */
  private static Handler genesys(Handler handler) {
    return ctx -> {
      try {
        handler.handle(ctx);
      } catch (PullrouteException refused) {
        FastRoute.Answer answer = refusal(refused);
        answer.headers().forEach(ctx::header);
        ctx.status(answer.status()).json(answer.body());
      }
    };
  }

  /** A refusal as Genesys answers it; others (a 401, a 503 …) keep the server's own answer. */
  private static FastRoute.Answer refusal(PullrouteException refused) {
    int status;
    int statusCode;
    Map<String, String> headers = Map.of();
    switch (refused) {
      case InvalidInput invalid -> {
        status = 400;
        statusCode = invalid.getMessage().endsWith(" is required") ? 1 : 2;
      }
      case Forbidden forbidden -> {
        status = 403;
        statusCode = 5;
      }
      case NotFound notFound -> {
        status = 404;
        statusCode = 6;
      }
      case Conflict conflict -> {
        status = 409;
        statusCode = 2;
      }
      case MissingReference missing -> {
        status = 409;
        statusCode = 2;
      }
      case RateLimited limited -> {
        headers = Map.of("Retry-After", Long.toString(limited.retryAfterSeconds()));
        status = 429;
        statusCode = 4;
      }
      default -> throw refused;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("statusCode", statusCode);
    body.put("statusMessage", refused.getMessage());
    return new FastRoute.Answer(status, body, headers);
  }

  // ---- handlers

  private void list(Context ctx) {
    Principal principal = Requests.principal(ctx);
    Requests.org(ctx);
    List<Map<String, Object>> items = new ArrayList<>();
    for (Workbin workbin : workbins.workbins(principal)) {
      items.add(describe(ctx, workbin));
    }
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("statusCode", 0);
    reply.put("workbins", items);
    ctx.json(reply);
  }

  private void content(Context ctx) {
    Principal principal = Requests.principal(ctx);
    Requests.org(ctx);
    Workbin workbin = resolve(ctx, principal);
    Map<String, Object> description = describe(ctx, workbin);
    String subresources = ctx.queryParam("subresources");
    if (subresources != null) {
      Set<Media> media = media(subresources);
      workbins
          .content(principal, workbin, media)
          .forEach(
              (kind, conversations) -> {
                List<Object> items = new ArrayList<>();
                for (Conversation conversation : conversations) {
                  items.add(WorkbinEvents.item(conversation, kind, workbin));
                }
                description.put(kind.collection(), items);
              });
    }
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("statusCode", 0);
    reply.put("workbin", description);
    ctx.json(reply);
  }

  private Map<String, Object> operate(FastRoute.Call call) {
    Principal principal = call.principal();
    Requests.org(principal);
    principal.requireUser("workbins");
    JsonBody body = JsonBody.parse(call.body()).allowOnly(FIELDS);
    String operation = body.requiredString("operationName");
    Workbin workbin =
        resolve(
            principal,
            call.pathParam("id"),
            call.queryParam("agentGroup"),
            call.queryParam("placeGroup"));
    String correlationId = call.correlationId();
    long referenceId =
        switch (operation) {
          case "Subscribe" -> workbins.subscribe(principal, workbin, true, correlationId);
          case "Unsubscribe" -> workbins.subscribe(principal, workbin, false, correlationId);
          default -> {
            boolean pull = operation.startsWith("Pull");
            boolean add = operation.startsWith("Add");
            Optional<Media> media = Media.ofOperation(operation);
            boolean generic =
                operation.equals("PullInteraction") || operation.equals("AddInteraction");
            if ((!pull && !add) || (media.isEmpty() && !generic)) {
              throw new InvalidInput(
                  "operationName",
                  "unknown operationName '"
                      + operation
                      + "': use Subscribe, Unsubscribe, PullInteraction, AddInteraction or their"
                      + " media variants (PullChat, AddEmail, …)");
            }
            String interaction = interactionId(body);
            yield pull
                ? workbins.pull(principal, workbin, interaction, media, correlationId)
                : workbins.add(principal, workbin, interaction, media, correlationId);
          }
        };
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("statusCode", 0);
    reply.put("referenceId", referenceId);
    return reply;
  }

  /** The interaction: {@code id}, or the last segment of the older pages' {@code uri}. */
  private static String interactionId(JsonBody body) {
    Optional<String> id = body.optionalString("id");
    if (id.isPresent() && !id.get().isBlank()) {
      return id.get();
    }
    Optional<String> uri = body.optionalString("uri");
    if (uri.isPresent() && !uri.get().isBlank()) {
      String value = uri.get();
      String last = value.substring(value.lastIndexOf('/') + 1);
      if (last.isBlank()) {
        throw new InvalidInput("uri", "uri must end with the interaction's id");
      }
      return last;
    }
    throw InvalidInput.required("id");
  }

  private Workbin resolve(Context ctx, Principal principal) {
    return resolve(
        principal, ctx.pathParam("id"), ctx.queryParam("agentGroup"), ctx.queryParam("placeGroup"));
  }

  private Workbin resolve(Principal principal, String id, String agentGroup, String placeGroup) {
    return workbins.resolve(principal, id, blankToNull(agentGroup), blankToNull(placeGroup));
  }

  private static Set<Media> media(String subresources) {
    Set<Media> media = EnumSet.noneOf(Media.class);
    for (String name : subresources.split(",")) {
      String trimmed = name.strip();
      if (trimmed.equals("*")) {
        return EnumSet.allOf(Media.class);
      }
      media.add(
          Media.ofWireName(trimmed)
              .orElseThrow(
                  () ->
                      new InvalidInput(
                          "subresources",
                          "unknown subresource '"
                              + trimmed
                              + "': use *, chat, email, facebook, tweet, facebooksession,"
                              + " workitem or openmedia")));
    }
    return media;
  }

  private static Map<String, Object> describe(Context ctx, Workbin workbin) {
    Map<String, Object> description = new LinkedHashMap<>();
    description.put("workbinName", workbin.name());
    description.put("id", workbin.id());
    description.put("displayName", workbin.name());
    description.put("uri", uri(ctx, workbin));
    description.put("type", workbin.type().name());
    if (workbin.type() == Workbin.Type.AgentGroup) {
      description.put("agentGroup", workbin.group());
    } else if (workbin.type() == Workbin.Type.PlaceGroup) {
      description.put("placeGroup", workbin.group());
    }
    return description;
  }

  /**
   * Where the workbin is served ({@code GET /api/v2/workbins/{id}}, as {@code /me/workbins/{id}}),
   * naming its group: a group's workbin is found by it.
   */
  private static String uri(Context ctx, Workbin workbin) {
    String uri = ctx.scheme() + "://" + ctx.host() + "/api/v2/workbins/" + workbin.id();
    String group = java.net.URLEncoder.encode(String.valueOf(workbin.group()), UTF_8);
    return switch (workbin.type()) {
      case AgentGroup -> uri + "?agentGroup=" + group;
      case PlaceGroup -> uri + "?placeGroup=" + group;
      case Agent -> uri;
    };
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
