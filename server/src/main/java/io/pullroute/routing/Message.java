package io.pullroute.routing;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** A text in a conversation, from the customer (through the channel) or from an agent. */
public record Message(
    String id,
    String orgId,
    String conversationId,
    Sender sender,
    String senderId,
    String senderName,
    String text,
    Instant createdAt) {

  public enum Sender {
    CUSTOMER,
    AGENT
  }

  public static final int MAX_TEXT = 10_000;

  public Message {
    requireNonNull(id, "id");
    requireNonNull(conversationId, "conversationId");
    requireNonNull(sender, "sender");
    requireNonNull(text, "text");
    requireNonNull(createdAt, "createdAt");
  }
}
