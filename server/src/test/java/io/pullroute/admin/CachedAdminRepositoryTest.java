package io.pullroute.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.pullroute.testing.ApiClient;
import io.pullroute.testing.StoreKind;
import io.pullroute.testing.TestServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The remembered administration look-ups: read once, forgotten when a write through them commits,
 * read again after {@link CachedAdminRepository#MAX_AGE} for what other nodes wrote, and never
 * remembered when a write raced the read.
 */
class CachedAdminRepositoryTest {

  @Test
  void look_ups_are_remembered_until_a_write_or_their_age_says_otherwise() {
    try (TestServer server = TestServer.start(StoreKind.H2)) {
      ApiClient http = server.http();
      ApiClient.Org org = http.createOrganization("cached-admin");
      String channel =
          http.post(
                  "/api/v1/channels",
                  org.adminToken(),
                  Map.of("name", "mail", "channelType", "EMAIL", "routingMode", "PUSH"))
              .json()
              .get("id")
              .asText();
      AtomicInteger storeReads = new AtomicInteger();
      AtomicReference<Runnable> duringRead = new AtomicReference<>(() -> {});
      AtomicLong nanos = new AtomicLong();
      CachedAdminRepository cache =
          new CachedAdminRepository(
              counting(
                  new JdbiAdminRepository(
                      server.server().database().jdbi(), server.server().database().dialect()),
                  storeReads,
                  duringRead),
              nanos::get);

      assertThat(name(cache.findChannel(org.orgId(), channel))).isEqualTo("mail");
      assertThat(name(cache.findChannel(org.orgId(), channel))).isEqualTo("mail");
      assertThat(storeReads).hasValue(1);

      // Written elsewhere (the server's own repository stands for another node): seen once the
      // remembered look-up is MAX_AGE old, not before.
      http.patch("/api/v1/channels/" + channel, org.adminToken(), Map.of("name", "email"));
      assertThat(name(cache.findChannel(org.orgId(), channel))).isEqualTo("mail");
      nanos.addAndGet(CachedAdminRepository.MAX_AGE.toNanos());
      assertThat(name(cache.findChannel(org.orgId(), channel))).isEqualTo("email");
      assertThat(storeReads).hasValue(2);

      // A write that commits while a look-up reads: the look-up's value is not remembered.
      duringRead.set(
          () -> {
            duringRead.set(() -> {});
            cache.createOrganization("cached-admin-2", "hash", Instant.now());
          });
      nanos.addAndGet(CachedAdminRepository.MAX_AGE.toNanos());
      cache.findChannel(org.orgId(), channel);
      cache.findChannel(org.orgId(), channel);
      assertThat(storeReads).hasValue(4);

      // A write through the cache is read back at once.
      assertThat(cache.deleteChannel(org.orgId(), channel)).isTrue();
      assertThat(cache.findChannel(org.orgId(), channel)).isEmpty();
    }
  }

  private static String name(Optional<Channel> channel) {
    return channel.orElseThrow().name();
  }

  /** {@code store}, counting its findChannel reads and running {@code duringRead} in each. */
  private static AdminRepository counting(
      AdminRepository store, AtomicInteger reads, AtomicReference<Runnable> duringRead) {
    return (AdminRepository)
        Proxy.newProxyInstance(
            AdminRepository.class.getClassLoader(),
            new Class<?>[] {AdminRepository.class},
            (proxy, method, args) -> {
              try {
                Object result = method.invoke(store, args);
                if (method.getName().equals("findChannel")) {
                  reads.incrementAndGet();
                  duringRead.get().run();
                }
                return result;
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
