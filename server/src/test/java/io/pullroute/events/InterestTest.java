package io.pullroute.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which events an interest takes: its organization's, addressed to one of its keys, filtered. */
class InterestTest {
  private static Event event(String orgId, String type, String id, Set<String> audience) {
    return new Event(
        1, "1-0", orgId, "outreach.status", type, id, audience, "c", "{}", Instant.EPOCH);
  }

  @Test
  void an_event_carrying_one_of_the_keys_matches_and_others_do_not() {
    Interest interest = Interest.of("o", Set.of(Audience.list("A"), Audience.user("u")));

    assertThat(interest.matches(event("o", "conversations", "c1", Set.of("list:A")))).isTrue();
    assertThat(interest.matches(event("o", "conversations", "c1", Set.of("list:B", "user:u"))))
        .isTrue();
    assertThat(interest.matches(event("o", "conversations", "c1", Set.of("list:B")))).isFalse();
    assertThat(interest.matches(event("other", "conversations", "c1", Set.of("list:A")))).isFalse();
  }

  @Test
  void the_organizations_key_takes_every_event_of_the_organization_only() {
    Interest everything = Interest.of("o", Set.of(Audience.organization("o")));

    assertThat(everything.matches(event("o", "topics", "t", Set.of()))).isTrue();
    assertThat(everything.matches(event("p", "topics", "t", Set.of()))).isFalse();
  }

  @Test
  void a_resource_key_takes_the_events_about_exactly_that_resource() {
    Interest topic = Interest.of("o", Set.of(Audience.resource("topics", "t1")));

    assertThat(topic.matches(event("o", "topics", "t1", Set.of()))).isTrue();
    assertThat(topic.matches(event("o", "topics", "t2", Set.of()))).isFalse();
    assertThat(topic.matches(event("o", "users", "t1", Set.of()))).isFalse();
  }

  @Test
  void a_colon_in_a_resource_type_or_id_is_matched_as_the_whole_key() {
    Interest interest = Interest.of("o", Set.of(Audience.resource("a:b", "c:d")));

    assertThat(interest.matches(event("o", "a:b", "c:d", Set.of()))).isTrue();
    assertThat(interest.matches(event("o", "a", "b:c:d", Set.of()))).isTrue(); // the same key
    assertThat(interest.matches(event("o", "a:b", "c", Set.of()))).isFalse();
    assertThat(interest.matches(event("o", "a:b:c", "d", Set.of()))).isTrue(); // the same key
    assertThat(interest.matches(event("o", "b", "c:d", Set.of()))).isFalse();
  }

  @Test
  void the_filter_applies_after_the_keys() {
    Interest interest =
        new Interest("o", Set.of(Audience.list("A")), event -> !event.resourceId().equals("no"));

    assertThat(interest.matches(event("o", "conversations", "yes", Set.of("list:A")))).isTrue();
    assertThat(interest.matches(event("o", "conversations", "no", Set.of("list:A")))).isFalse();
  }
}
