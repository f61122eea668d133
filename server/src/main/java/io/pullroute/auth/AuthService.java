package io.pullroute.auth;

import io.pullroute.auth.CredentialRepository.ClientRecord;
import io.pullroute.auth.CredentialRepository.UserCredential;
import io.pullroute.common.PullrouteException.Unauthenticated;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Grants tokens and authenticates callers. Thread-safe. */
public final class AuthService {
  private static final Logger LOG = LoggerFactory.getLogger(AuthService.class);
  private static final Duration CHECK_FAILURE_LOG_EVERY = Duration.ofMinutes(1);

  /** A hash compared against when a client or user is unknown, so both take equally long. */
  private static final String DUMMY_HASH =
      new PasswordHasher().hash("pullroute-dummy-secret-for-timing");

  private final CredentialRepository credentials;
  private final java.util.concurrent.ConcurrentHashMap<String, Optional<String>> apiKeys =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<AcceptedKey> acceptedKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final TokenService tokens;
  private final PasswordHasher hasher;
  private volatile BiFunction<String, String, Optional<CurrentUser>> users; // null: no check
  private final AtomicLong lastCheckFailureLog = new AtomicLong(System.nanoTime() - (1L << 62));

  public AuthService(CredentialRepository credentials, TokenService tokens, PasswordHasher hasher) {
    this.credentials = credentials;
    this.tokens = tokens;
    this.hasher = hasher;
  }

  /** An API key that matched its organization's. */
  private record AcceptedKey(String orgId, String apiKey) {}

  /** A granted access token. */
  public record Grant(String accessToken, long expiresIn, Set<String> scopes) {}

  public Grant clientCredentials(String clientId, String clientSecret, String requestedScope) {
    Optional<ClientRecord> client = credentials.findClient(clientId);
    String hash = client.map(ClientRecord::secretHash).orElse(DUMMY_HASH);
    if (!hasher.matches(clientSecret, hash) || client.isEmpty()) {
      throw OAuthError.invalidClient("client authentication failed");
    }
    ClientRecord record = client.get();
    Set<String> scopes = narrow(record.scopes(), requestedScope);
    Principal principal =
        new Principal(
            Principal.Kind.CLIENT, record.orgId(), record.clientId(), null, Set.of(), scopes);
    return new Grant(tokens.issue(principal), tokens.lifetimeSeconds(), scopes);
  }

  public Grant password(String orgId, String username, String password, String requestedScope) {
    Optional<UserCredential> user = credentials.findUser(orgId, username);
    String hash = user.map(UserCredential::passwordHash).orElse(DUMMY_HASH);
    if (!hasher.matches(password, hash) || user.isEmpty()) {
      throw OAuthError.invalidGrant("unknown organization, username or password");
    }
    UserCredential found = user.get();
    Set<String> scopes = narrow(userScopes(found.roles()), requestedScope);
    Principal principal =
        new Principal(
            Principal.Kind.USER, orgId, found.userId(), found.username(), found.roles(), scopes);
    return new Grant(
        tokens.issue(principal, passwordTag(found.passwordHash())),
        tokens.lifetimeSeconds(),
        scopes);
  }

  /**
   * A short tag of a password hash, carried in the user's tokens: the hash is salted anew at every
   * change, so the tag tells a token granted with another password. It does not reveal the hash.
   */
  public static String passwordTag(String passwordHash) {
    if (passwordHash == null) {
      return null;
    }
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(sha256(passwordHash))
        .substring(0, 16);
  }

  /** A user's scopes: one per role, plus the streaming API. */
  static Set<String> userScopes(Set<String> roles) {
    Set<String> scopes = new HashSet<>(roles);
    scopes.add(Scopes.STREAMING);
    return scopes;
  }

  private static Set<String> narrow(Set<String> allowed, String requested) {
    if (requested == null || requested.isBlank()) {
      return allowed;
    }
    Set<String> wanted = Scopes.parse(requested);
    for (String scope : wanted) {
      if (!allowed.contains(scope)) {
        throw OAuthError.invalidScope("scope '" + scope + "' is not allowed for this client");
      }
    }
    return wanted;
  }

  /** The principal behind an {@code Authorization} header value. */
  public Principal authenticate(String authorizationHeader) {
    return authenticated(authorizationHeader).principal();
  }

  /** The token behind an {@code Authorization} header value, checked (see {@link #checkUser}). */
  public TokenService.Verified authenticated(String authorizationHeader) {
    if (authorizationHeader == null || authorizationHeader.isBlank()) {
      throw new Unauthenticated("Authorization header with a Bearer token is required");
    }
    if (!authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new Unauthenticated("Authorization header must be 'Bearer <access token>'");
    }
    TokenService.Verified token = tokens.verifiedBearer(authorizationHeader);
    checkUser(token.principal(), token.passwordTag());
    return token;
  }

  /**
   * Checks a user token's {@code principal} (and the {@code passwordTag} it carries) against its
   * user as it is now (see {@link #checkUsersAgainst}); {@link Unauthenticated} when it no longer
   * stands. Other principals, and every one while the store cannot answer, pass.
   */
  public void checkUser(Principal principal, String passwordTag) {
    BiFunction<String, String, Optional<CurrentUser>> check = users;
    if (!principal.isUser() || check == null) {
      return;
    }
    Optional<CurrentUser> user;
    try {
      user = check.apply(principal.orgId(), principal.subject());
    } catch (RuntimeException storeFailed) {
      // The store cannot say now: the token's signature and expiry stand alone, as they did
      // before users were checked, rather than every call failing with the store.
      long now = System.nanoTime();
      long last = lastCheckFailureLog.get();
      if (now - last > CHECK_FAILURE_LOG_EVERY.toNanos()
          && lastCheckFailureLog.compareAndSet(last, now)) {
        LOG.warn("user tokens accepted unchecked: the store did not answer", storeFailed);
      }
      return;
    }
    if (user.isEmpty()) {
      throw new Unauthenticated("the user of this access token no longer exists");
    }
    if (!user.get().roles().equals(principal.roles())) {
      throw new Unauthenticated(
          "the roles of this access token's user have changed: request a new token");
    }
    // Tokens granted before tags were carried have none; they expire within their lifetime.
    if (passwordTag != null && !passwordTag.equals(user.get().passwordTag())) {
      throw new Unauthenticated(
          "the password of this access token's user has changed: request a new token");
    }
  }

  /** A user as its tokens are checked against: its roles and its {@link #passwordTag}. */
  public record CurrentUser(Set<String> roles, String passwordTag) {}

  /**
   * Checks every user token against its user as it is now: {@code users} answers a user by
   * organization and id, empty when it no longer exists. A token of a deleted user, or of a user
   * whose roles or password changed since it was granted, is refused (401) from then on, not only
   * when it expires. When {@code users} fails (the store is down), the token is accepted on its
   * signature and expiry.
   */
  public void checkUsersAgainst(BiFunction<String, String, Optional<CurrentUser>> users) {
    this.users = users;
  }

  /** Whether {@code apiKey} is the API key of {@code orgId}. */
  public boolean apiKeyMatches(String orgId, String apiKey) {
    if (apiKey == null) {
      return false;
    }
    // API keys never change once an organization exists: remember the keys that matched (a poll
    // asks every time), so the digest is computed once per key, not per request.
    if (apiKeys.getOrDefault(orgId, Optional.empty()).isPresent()
        && acceptedKeys.contains(new AcceptedKey(orgId, apiKey))) {
      return true;
    }
    boolean matches =
        apiKeys
            .computeIfAbsent(orgId, org -> credentials.apiKeyHash(org))
            .map(
                stored ->
                    MessageDigest.isEqual(
                        stored.getBytes(StandardCharsets.US_ASCII),
                        apiKeyHash(apiKey).getBytes(StandardCharsets.US_ASCII)))
            .orElse(false);
    if (matches && acceptedKeys.size() < 100_000) {
      acceptedKeys.add(new AcceptedKey(orgId, apiKey));
    }
    return matches;
  }

  /** Creates the client, or resets its secret and scopes (used for operator and demo clients). */
  public void ensureClient(String clientId, String orgId, String secret, Set<String> scopes) {
    Optional<ClientRecord> existing = credentials.findClient(clientId);
    if (existing.isPresent()
        && existing.get().scopes().equals(scopes)
        && hasher.matches(secret, existing.get().secretHash())) {
      return;
    }
    credentials.saveClient(clientId, orgId, hasher.hash(secret), scopes);
  }

  /** API keys are long random strings, so a fast digest is enough to keep them out of the store. */
  public static String apiKeyHash(String apiKey) {
    return HexFormat.of().formatHex(sha256(apiKey));
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
