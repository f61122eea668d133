package io.pullroute.auth;

import java.util.Optional;
import java.util.Set;

/** What authentication needs from the store. */
public interface CredentialRepository {

  /** The token signing key, created on first use; every node reads the same one. */
  byte[] signingKey();

  Optional<ClientRecord> findClient(String clientId);

  /** Creates the client or replaces its secret and scopes. */
  void saveClient(String clientId, String orgId, String secretHash, Set<String> scopes);

  Optional<UserCredential> findUser(String orgId, String username);

  /** The hash of the organization's API key, if the organization exists. */
  Optional<String> apiKeyHash(String orgId);

  record ClientRecord(String clientId, String orgId, String secretHash, Set<String> scopes) {}

  record UserCredential(String userId, String username, String passwordHash, Set<String> roles) {}
}
