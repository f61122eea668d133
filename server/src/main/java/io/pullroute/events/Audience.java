package io.pullroute.events;

/**
 * Audience keys: who an event concerns. A session waits on the keys of what it may see, and an
 * event wakes only the sessions waiting on one of its keys (or on its organization's key).
 */
public final class Audience {
  private Audience() {}

  public static String user(String userId) {
    return "user:" + userId;
  }

  public static String list(String listId) {
    return "list:" + listId;
  }

  public static String conversation(String conversationId) {
    return "conversation:" + conversationId;
  }

  public static String workbin(String workbinId) {
    return "workbin:" + workbinId;
  }

  public static String team(String teamId) {
    return "team:" + teamId;
  }

  /**
   * The resource an event is about ({@code resourceType}/{@code resourceId}). Events are indexed
   * under it without carrying it in their audience: a subscription to named resources waits on it.
   */
  public static String resource(String type, String id) {
    return RESOURCE + type + ":" + id;
  }

  /** How every {@link #resource} key begins. */
  static final String RESOURCE = "res:";

  /** Every event of the organization; supervisors and admin clients may wait on it. */
  public static String organization(String orgId) {
    return "org:" + orgId;
  }
}
