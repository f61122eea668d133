package io.pullroute.routing;

import io.pullroute.common.PullrouteException;
import io.pullroute.events.EventDraft;
import java.util.List;

/**
 * A command refused in its transaction ({@code refusal}, a 403 or a 409), with the events that
 * report it ({@code engagementCenter.Error}). What the command wrote is undone and these events are
 * appended in its place, committing with the rest of its group: a refused pull costs no transaction
 * of its own. Thrown by a command's work; its caller gets {@link #refusal()} after the commit.
 */
final class Refused extends RuntimeException {
  private final PullrouteException refusal;
  private final List<EventDraft> events;

  Refused(PullrouteException refusal, List<EventDraft> events) {
    super(refusal.getMessage(), refusal, false, false);
    this.refusal = refusal;
    this.events = List.copyOf(events);
  }

  PullrouteException refusal() {
    return refusal;
  }

  List<EventDraft> events() {
    return events;
  }
}
