package io.pullroute.admin;

import io.pullroute.auth.AuthService;
import io.pullroute.auth.Scopes;
import io.pullroute.common.Ids;
import io.pullroute.common.PullrouteException.Conflict;
import io.pullroute.common.PullrouteException.InvalidInput;
import java.time.InstantSource;
import java.util.regex.Pattern;

/** Creates organizations with their API key and admin client. Thread-safe. */
public final class OrganizationService {
  private static final Pattern ORG_ID = Pattern.compile("[a-z0-9][a-z0-9-]{1,62}");

  private final AdminRepository repository;
  private final AuthService auth;
  private final InstantSource clock;

  public OrganizationService(AdminRepository repository, AuthService auth, InstantSource clock) {
    this.repository = repository;
    this.auth = auth;
    this.clock = clock;
  }

  /** A new organization's credentials; the secrets are shown once and stored only hashed. */
  public record Created(String orgId, String apiKey, String clientId, String clientSecret) {}

  public Created create(String orgId) {
    return create(orgId, Ids.randomHex(24), orgId + "-admin", Ids.randomHex(24));
  }

  /** Creates an organization with the given credentials; 409 when it exists. */
  public Created create(String orgId, String apiKey, String clientId, String clientSecret) {
    if (orgId == null || orgId.isBlank()) {
      throw InvalidInput.required("orgId");
    }
    if (!ORG_ID.matcher(orgId).matches()) {
      throw new InvalidInput(
          "orgId",
          "orgId must be 2-63 lowercase letters, digits or '-', starting with a letter or digit");
    }
    if (!repository.createOrganization(orgId, AuthService.apiKeyHash(apiKey), clock.instant())) {
      throw new Conflict("orgId", "organization '" + orgId + "' already exists");
    }
    auth.ensureClient(clientId, orgId, clientSecret, Scopes.ADMIN_CLIENT);
    return new Created(orgId, apiKey, clientId, clientSecret);
  }

  public boolean exists(String orgId) {
    return repository.organizationExists(orgId);
  }

  public java.util.List<String> ids() {
    return repository.organizationIds();
  }
}
