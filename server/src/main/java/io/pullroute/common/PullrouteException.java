package io.pullroute.common;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The one unchecked exception root of pullroute. Each subclass names a failure that the HTTP layer
 * maps to one status (see {@code io.pullroute.http.ErrorMapper}); anything else is a bug and a 500.
 */
public abstract class PullrouteException extends RuntimeException {
  private final String scope;
  private final String reason;

  protected PullrouteException(String message, String scope, String reason) {
    super(message);
    this.scope = scope;
    this.reason = reason;
  }

  /** What the failure is about: a field name, a header, a resource type. */
  public String scope() {
    return scope;
  }

  /** A short machine-readable reason such as {@code required} or {@code notFound}. */
  public String reason() {
    return reason;
  }

  /** Input that fails validation; {@code field} names the offending field. */
  public static final class InvalidInput extends PullrouteException {
    public InvalidInput(String field, String message) {
      super(message, field, "invalid");
    }

    public static InvalidInput required(String field) {
      return new InvalidInput(field, field + " is required");
    }
  }

  /** A resource that does not exist, or that the caller may not know exists. */
  public static final class NotFound extends PullrouteException {
    public NotFound(String resourceType, String id) {
      super(resourceType + " " + id + " not found", resourceType, "notFound");
    }
  }

  /** The request conflicts with the current state (duplicate name, closed conversation …). */
  public static final class Conflict extends PullrouteException {
    public Conflict(String scope, String message) {
      super(message, scope, "conflict");
    }
  }

  /**
   * A write that refers to a row deleted meanwhile (a user, a channel, a list), maybe through
   * another node after this one had read it: the store refused it. {@code resourceType} names what
   * is missing.
   */
  public static final class MissingReference extends PullrouteException {
    public MissingReference(String resourceType, String id) {
      super(
          resourceType + " " + id + " no longer exists (it was deleted meanwhile)",
          resourceType,
          "missingReference");
    }
  }

  /** No credentials, or credentials that are not valid. */
  public static final class Unauthenticated extends PullrouteException {
    public Unauthenticated(String message) {
      super(message, "authorization", "unauthorized");
    }
  }

  /** Valid credentials without the right organization, role or scope. */
  public static final class Forbidden extends PullrouteException {
    public Forbidden(String message) {
      super(message, "authorization", "forbidden");
    }
  }

  /** A path served, but not with this method; {@code allowed} names those it is served with. */
  public static final class MethodNotAllowed extends PullrouteException {
    private final SortedSet<String> allowed;

    public MethodNotAllowed(String method, String path, Set<String> allowed) {
      this(method, path, Collections.unmodifiableSortedSet(new TreeSet<>(allowed)));
    }

    private MethodNotAllowed(String method, String path, SortedSet<String> allowed) {
      super(
          method
              + " is not served on "
              + path
              + "; it is served with "
              + String.join(", ", allowed),
          "method",
          "methodNotAllowed");
      this.allowed = allowed;
    }

    /** For the {@code Allow} header. */
    public SortedSet<String> allowed() {
      return allowed;
    }
  }

  /** A request body over the limit. */
  public static final class PayloadTooLarge extends PullrouteException {
    public PayloadTooLarge(long limitBytes) {
      super("request body exceeds " + limitBytes + " bytes", "body", "tooLarge");
    }
  }

  /** Too many requests from one principal; {@code retryAfterSeconds} tells when to come back. */
  public static final class RateLimited extends PullrouteException {
    private final long retryAfterSeconds;

    public RateLimited(String message, long retryAfterSeconds) {
      super(message, "rateLimit", "tooManyRequests");
      this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
      return retryAfterSeconds;
    }
  }
}
