package io.pullroute.auth;

import io.pullroute.common.Ids;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/** {@link CredentialRepository} on JDBC. Thread-safe. */
public final class JdbiCredentialRepository implements CredentialRepository {
  private final Jdbi jdbi;
  private final InstantSource clock;

  public JdbiCredentialRepository(Jdbi jdbi, InstantSource clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  @Override
  public byte[] signingKey() {
    return jdbi.inTransaction(
        handle -> {
          // Two nodes starting at once both try to insert; the loser's insert does nothing
          // and both read the winner's key.
          handle
              .createUpdate(
                  "INSERT INTO signing_key (id, secret, created_at) VALUES ('primary', :secret,"
                      + " :now) ON CONFLICT DO NOTHING")
              .bind("secret", Ids.randomHex(32))
              .bind("now", clock.instant())
              .execute();
          String secret =
              handle
                  .createQuery("SELECT secret FROM signing_key WHERE id = 'primary'")
                  .mapTo(String.class)
                  .one();
          return HexFormat.of().parseHex(secret);
        });
  }

  @Override
  public Optional<ClientRecord> findClient(String clientId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT client_id, org_id, secret_hash, scopes FROM api_client"
                        + " WHERE client_id = :id")
                .bind("id", clientId)
                .map(
                    (rs, ctx) ->
                        new ClientRecord(
                            rs.getString("client_id"),
                            rs.getString("org_id"),
                            rs.getString("secret_hash"),
                            Scopes.parse(rs.getString("scopes"))))
                .findOne());
  }

  @Override
  public void saveClient(String clientId, String orgId, String secretHash, Set<String> scopes) {
    jdbi.useTransaction(
        handle -> {
          int updated =
              handle
                  .createUpdate(
                      "UPDATE api_client SET secret_hash = :hash, scopes = :scopes, org_id = :org"
                          + " WHERE client_id = :id")
                  .bind("id", clientId)
                  .bind("org", orgId)
                  .bind("hash", secretHash)
                  .bind("scopes", Scopes.format(scopes))
                  .execute();
          if (updated == 0) {
            handle
                .createUpdate(
                    "INSERT INTO api_client (client_id, org_id, secret_hash, scopes, created_at)"
                        + " VALUES (:id, :org, :hash, :scopes, :now)")
                .bind("id", clientId)
                .bind("org", orgId)
                .bind("hash", secretHash)
                .bind("scopes", Scopes.format(scopes))
                .bind("now", clock.instant())
                .execute();
          }
        });
  }

  @Override
  public Optional<UserCredential> findUser(String orgId, String username) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery(
                    "SELECT id, username, password_hash, roles FROM app_user"
                        + " WHERE org_id = :org AND username = :username")
                .bind("org", orgId)
                .bind("username", username)
                .map(
                    (rs, ctx) ->
                        new UserCredential(
                            rs.getString("id"),
                            rs.getString("username"),
                            rs.getString("password_hash"),
                            Scopes.parse(rs.getString("roles"))))
                .findOne());
  }

  @Override
  public Optional<String> apiKeyHash(String orgId) {
    return jdbi.withHandle(
        handle ->
            handle
                .createQuery("SELECT api_key_hash FROM organization WHERE id = :org")
                .bind("org", orgId)
                .mapTo(String.class)
                .findOne());
  }
}
