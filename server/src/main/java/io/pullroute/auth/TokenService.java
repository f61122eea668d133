package io.pullroute.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException.Unauthenticated;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issues and verifies signed JWT access tokens (HS256). The key lives in the store, so tokens
 * survive restarts and every node of a cluster accepts them. Thread-safe.
 */
public final class TokenService {
  static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
  private static final String ISSUER = "pullroute";

  private static final int MAX_CACHED = 50_000;

  private final MACSigner signer;
  private final MACVerifier verifier;
  private final InstantSource clock;

  /**
   * Tokens already verified, with their expiry: a client polling many times a second presents the
   * same token each time, and checking its signature once is enough.
   */
  private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();

  /**
   * A valid token: who it stands for, until when, and the tag of its user's password when it was
   * granted ({@link AuthService#passwordTag}; null for clients and for tokens granted before tags).
   */
  public record Verified(Principal principal, Instant expiresAt, String passwordTag) {}

  public TokenService(byte[] key, InstantSource clock) {
    try {
      this.signer = new MACSigner(key);
      this.verifier = new MACVerifier(key);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing key unusable: " + e.getMessage(), e);
    }
    this.clock = clock;
  }

  public String issue(Principal principal) {
    return issue(principal, null);
  }

  /** A token for {@code principal}; a user's carries the tag of its password ({@code pwd}). */
  public String issue(Principal principal, String passwordTag) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject(principal.subject())
            .jwtID(Ids.newId())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(TOKEN_LIFETIME)))
            .claim("knd", principal.kind().name())
            .claim("org", principal.orgId())
            .claim("usr", principal.username())
            .claim("roles", List.copyOf(principal.roles()))
            .claim("scope", String.join(" ", principal.scopes()));
    if (passwordTag != null) {
      claims.claim("pwd", passwordTag);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed", e);
    }
    return jwt.serialize();
  }

  /** The principal a token stands for; {@link Unauthenticated} when it is not valid now. */
  public Principal verify(String token) {
    return verified(token).principal();
  }

  /** What a token stands for; {@link Unauthenticated} when it is not valid now. */
  public Verified verified(String token) {
    Verified known = known(token);
    return known != null ? known : remember(token, token);
  }

  /**
   * What the token of {@code Authorization} header value {@code header} ({@code Bearer <token>},
   * checked by the caller) stands for. Remembered under the header as given, so a client that
   * presents the same header on every poll costs no copy of its token.
   */
  public Verified verifiedBearer(String header) {
    Verified known = known(header);
    return known != null ? known : remember(header, header.substring(7).trim());
  }

  /** Verifies {@code token} and remembers what it stands for under {@code key}. */
  private Verified remember(String key, String token) {
    Verified valid = verify(token, clock.instant());
    if (verified.size() > MAX_CACHED) {
      verified.clear(); // unbounded growth is worse than verifying a token again
    }
    verified.put(key, valid);
    return valid;
  }

  /** What was remembered under {@code key} and is still valid, or null (expired: refused). */
  private Verified known(String key) {
    Verified known = verified.get(key);
    if (known != null && !clock.instant().isBefore(known.expiresAt())) {
      verified.remove(key);
      throw new Unauthenticated("access token has expired");
    }
    return known;
  }

  private Verified verify(String token, Instant now) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        throw new Unauthenticated("access token signature is not valid");
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      Date expiry = claims.getExpirationTime();
      if (expiry == null || !now.isBefore(expiry.toInstant())) {
        throw new Unauthenticated("access token has expired");
      }
      if (!ISSUER.equals(claims.getIssuer())) {
        throw new Unauthenticated("access token was not issued by pullroute");
      }
      String scope = claims.getStringClaim("scope");
      List<String> roles = claims.getStringListClaim("roles");
      Principal principal =
          new Principal(
              Principal.Kind.valueOf(claims.getStringClaim("knd")),
              claims.getStringClaim("org"),
              claims.getSubject(),
              claims.getStringClaim("usr"),
              roles == null ? Set.of() : new HashSet<>(roles),
              scope == null || scope.isBlank() ? Set.of() : Set.of(scope.split(" ")));
      return new Verified(principal, expiry.toInstant(), claims.getStringClaim("pwd"));
    } catch (ParseException | JOSEException | IllegalArgumentException | NullPointerException e) {
      throw new Unauthenticated("access token is not valid");
    }
  }

  public long lifetimeSeconds() {
    return TOKEN_LIFETIME.toSeconds();
  }
}
