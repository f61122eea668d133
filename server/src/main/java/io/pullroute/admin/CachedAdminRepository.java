package io.pullroute.admin;

import io.pullroute.auth.AuthService;
import io.pullroute.events.Outbox;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The administration store with the look-ups every routing command makes — a user, a channel, a
 * list, a group by name — remembered. A pull used to read them eight times from the store; they
 * change seldom.
 *
 * <p>Writes go through here and forget everything remembered once they have committed, so this node
 * reads its own writes. A look-up that raced a write is not remembered (a generation count tells).
 * Another node's writes are not seen here: what this node remembered is read again after {@link
 * #MAX_AGE} at the latest, so a change made on another node of a cluster takes effect here within
 * that time (docs/api.md). Lists of things ({@link #users}, {@link #lists}…) are always read from
 * the store. Thread-safe.
 */
public final class CachedAdminRepository implements AdminRepository {
  /** How long a remembered look-up is used; bounds how late another node's change shows here. */
  public static final Duration MAX_AGE = Duration.ofSeconds(1);

  /** Look-ups remembered at most; past that, all are forgotten (a bound, not a policy). */
  private static final int MAX_ENTRIES = 100_000;

  private final AdminRepository store;
  private final LongSupplier nanoTime;
  private final Map<List<Object>, Remembered> remembered = new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();

  private record Remembered(Object value, long readAtNanos) {}

  public CachedAdminRepository(AdminRepository store) {
    this(store, System::nanoTime);
  }

  CachedAdminRepository(AdminRepository store, LongSupplier nanoTime) {
    this.store = store;
    this.nanoTime = nanoTime;
  }

  @SuppressWarnings("unchecked")
  private <T> T lookUp(List<Object> key, Supplier<T> read) {
    long now = nanoTime.getAsLong();
    Remembered known = remembered.get(key);
    if (known != null && now - known.readAtNanos() < MAX_AGE.toNanos()) {
      return (T) known.value();
    }
    long before = generation.get();
    T value = read.get();
    if (generation.get() == before) {
      if (remembered.size() >= MAX_ENTRIES) {
        remembered.clear();
      }
      remembered.put(key, new Remembered(value, now));
      if (generation.get() != before) {
        remembered.remove(key); // a write committed meanwhile: the value may predate it
      }
    }
    return value;
  }

  /** Called after every write has committed. */
  private void forget() {
    generation.incrementAndGet();
    remembered.clear();
  }

  private <T> T writing(Supplier<T> write) {
    try {
      return write.get();
    } finally {
      forget();
    }
  }

  private void writing(Runnable write) {
    try {
      write.run();
    } finally {
      forget();
    }
  }

  // ---- remembered look-ups

  @Override
  public Optional<User> findUser(String orgId, String id) {
    return lookUp(List.of("user", orgId, id), () -> store.findUser(orgId, id));
  }

  @Override
  public Optional<AuthService.CurrentUser> findCredentials(String orgId, String id) {
    return lookUp(List.of("credentials", orgId, id), () -> store.findCredentials(orgId, id));
  }

  @Override
  public Optional<MemberGroup> findGroupByName(MemberGroup.Kind kind, String orgId, String name) {
    return lookUp(
        List.of("groupByName", kind, orgId, name), () -> store.findGroupByName(kind, orgId, name));
  }

  @Override
  public Optional<PlaceGroup> findPlaceGroupByName(String orgId, String name) {
    return lookUp(
        List.of("placeGroupByName", orgId, name), () -> store.findPlaceGroupByName(orgId, name));
  }

  @Override
  public Optional<WorkList> findListDefinition(String orgId, String id) {
    return lookUp(List.of("listDefinition", orgId, id), () -> store.findListDefinition(orgId, id));
  }

  @Override
  public Optional<Channel> findChannel(String orgId, String id) {
    return lookUp(List.of("channel", orgId, id), () -> store.findChannel(orgId, id));
  }

  // ---- read from the store each time

  @Override
  public boolean organizationExists(String orgId) {
    return store.organizationExists(orgId);
  }

  @Override
  public List<String> organizationIds() {
    return store.organizationIds();
  }

  @Override
  public Optional<User> findUserByName(String orgId, String username) {
    return store.findUserByName(orgId, username);
  }

  @Override
  public List<User> users(String orgId) {
    return store.users(orgId);
  }

  @Override
  public Set<String> existingUserIds(String orgId, Collection<String> ids) {
    return store.existingUserIds(orgId, ids);
  }

  @Override
  public Optional<MemberGroup> findGroup(MemberGroup.Kind kind, String orgId, String id) {
    return store.findGroup(kind, orgId, id);
  }

  @Override
  public List<MemberGroup> groups(MemberGroup.Kind kind, String orgId) {
    return store.groups(kind, orgId);
  }

  @Override
  public Optional<PlaceGroup> findPlaceGroup(String orgId, String id) {
    return store.findPlaceGroup(orgId, id);
  }

  @Override
  public List<PlaceGroup> placeGroups(String orgId) {
    return store.placeGroups(orgId);
  }

  @Override
  public Optional<WorkList> findList(String orgId, String id) {
    return store.findList(orgId, id);
  }

  @Override
  public Optional<WorkList> findListByName(String orgId, String name) {
    return store.findListByName(orgId, name);
  }

  @Override
  public List<WorkList> lists(String orgId) {
    return store.lists(orgId);
  }

  @Override
  public Optional<Channel> findChannelByName(String orgId, String name) {
    return store.findChannelByName(orgId, name);
  }

  @Override
  public List<Channel> channels(String orgId) {
    return store.channels(orgId);
  }

  // ---- writes: everything remembered is forgotten once they commit

  @Override
  public boolean createOrganization(String orgId, String apiKeyHash, Instant now) {
    return writing(() -> store.createOrganization(orgId, apiKeyHash, now));
  }

  @Override
  public void insertUser(User user, String passwordHash, Outbox outbox) {
    writing(() -> store.insertUser(user, passwordHash, outbox));
  }

  @Override
  public void updateUser(User user, String passwordHash, Outbox outbox) {
    writing(() -> store.updateUser(user, passwordHash, outbox));
  }

  @Override
  public boolean deleteUser(String orgId, String id, Outbox outbox) {
    return writing(() -> store.deleteUser(orgId, id, outbox));
  }

  @Override
  public void insertGroup(MemberGroup group, Outbox outbox) {
    writing(() -> store.insertGroup(group, outbox));
  }

  @Override
  public void updateGroup(MemberGroup group, Outbox outbox) {
    writing(() -> store.updateGroup(group, outbox));
  }

  @Override
  public boolean deleteGroup(MemberGroup.Kind kind, String orgId, String id, Outbox outbox) {
    return writing(() -> store.deleteGroup(kind, orgId, id, outbox));
  }

  @Override
  public void insertPlaceGroup(PlaceGroup group) {
    writing(() -> store.insertPlaceGroup(group));
  }

  @Override
  public void updatePlaceGroup(PlaceGroup group) {
    writing(() -> store.updatePlaceGroup(group));
  }

  @Override
  public boolean deletePlaceGroup(String orgId, String id) {
    return writing(() -> store.deletePlaceGroup(orgId, id));
  }

  @Override
  public void insertList(WorkList list) {
    writing(() -> store.insertList(list));
  }

  @Override
  public void updateList(WorkList list) {
    writing(() -> store.updateList(list));
  }

  @Override
  public boolean deleteList(String orgId, String id) {
    return writing(() -> store.deleteList(orgId, id));
  }

  @Override
  public void insertChannel(Channel channel) {
    writing(() -> store.insertChannel(channel));
  }

  @Override
  public void updateChannel(Channel channel) {
    writing(() -> store.updateChannel(channel));
  }

  @Override
  public boolean deleteChannel(String orgId, String id) {
    return writing(() -> store.deleteChannel(orgId, id));
  }
}
