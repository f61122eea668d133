package io.pullroute.workbins;

import java.util.Locale;
import java.util.Optional;

/**
 * The media of the Genesys workbin API: each has a {@code subresources} name, a content array, a
 * notification resource key, an item type field and its Pull/Add operation variants.
 */
public enum Media {
  CHAT("chat", "Chat"),
  EMAIL("email", "Email"),
  WORKITEM("workitem", "Workitem"),
  TWEET("tweet", "Tweet"),
  FACEBOOK("facebook", "Facebook"),
  FACEBOOKSESSION("facebooksession", "Facebooksession"),
  OPENMEDIA("openmedia", "Openmedia");

  private final String name;
  private final String operationSuffix;

  Media(String name, String operationSuffix) {
    this.name = name;
    this.operationSuffix = operationSuffix;
  }

  /** As {@code subresources} names it: {@code chat}, {@code email} … */
  public String wireName() {
    return name;
  }

  /** The content array of a workbin: {@code chats}, {@code emails} … */
  public String collection() {
    return name + "s";
  }

  /** The key of the item in a notification: {@code chatStateResourceV2} … */
  public String resourceKey() {
    return name + "StateResourceV2";
  }

  /** The item's type field: {@code chatType}, {@code emailType} … */
  public String typeField() {
    return name + "Type";
  }

  public String pullOperation() {
    return "Pull" + operationSuffix;
  }

  public String addOperation() {
    return "Add" + operationSuffix;
  }

  /** The media of a channel type. */
  public static Media ofChannelType(String channelType) {
    return switch (channelType) {
      case "WEB" -> CHAT;
      case "EMAIL" -> EMAIL;
      case "WORKITEM" -> WORKITEM;
      case "TWITTER" -> TWEET;
      case "FACEBOOK" -> FACEBOOK;
      case "FACEBOOK_COMMENTS" -> FACEBOOKSESSION;
      default -> OPENMEDIA;
    };
  }

  public static Optional<Media> ofWireName(String name) {
    for (Media media : values()) {
      if (media.name.equals(name.toLowerCase(Locale.ROOT))) {
        return Optional.of(media);
      }
    }
    return Optional.empty();
  }

  /** The media a {@code Pull…} or {@code Add…} variant names; empty for the generic ones. */
  public static Optional<Media> ofOperation(String operationName) {
    for (Media media : values()) {
      if (media.pullOperation().equals(operationName)
          || media.addOperation().equals(operationName)) {
        return Optional.of(media);
      }
    }
    return Optional.empty();
  }
}
