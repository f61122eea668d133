package io.pullroute.events;

import java.time.Instant;
import java.util.Set;

/**
 * What a user has joined, read at once: the lists it is subscribed to, the open conversations it is
 * in, and when it last subscribed or joined one of them (as the node that did it stamped it; null
 * when none). Streaming hears these lists and conversations for the user, and goes back over what a
 * session may have passed over when {@code last} is recent (StreamingService's check).
 */
public record Joined(Set<String> lists, Set<String> conversations, Instant last) {
  public Joined {
    lists = Set.copyOf(lists);
    conversations = Set.copyOf(conversations);
  }
}
