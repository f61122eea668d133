package io.pullroute.auth;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Space-separated scope and role sets, as OAuth writes them. */
public final class Scopes {
  public static final String OPERATOR = "operator";
  public static final String ADMIN = "admin";
  public static final String STREAMING = "streamingapi";
  public static final String CHANNEL = "channel";
  public static final String PUBLISH = "publish";

  /** The scopes of an organization's admin client. */
  public static final Set<String> ADMIN_CLIENT = Set.of(ADMIN, STREAMING, CHANNEL, PUBLISH);

  private Scopes() {}

  public static Set<String> parse(String text) {
    if (text == null || text.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(text.trim().split("\\s+")).collect(Collectors.toUnmodifiableSet());
  }

  /** Sorted, so stored and printed forms are stable. */
  public static String format(Set<String> scopes) {
    return String.join(" ", new TreeSet<>(scopes));
  }
}
