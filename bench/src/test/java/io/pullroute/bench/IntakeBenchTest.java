package io.pullroute.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The intake load generator's reading of poll answers: ids and times only, payloads skipped. */
class IntakeBenchTest {
  @Test
  void reads_each_events_id_and_published_time_past_payloads_of_any_shape() throws Exception {
    String answer =
        """
        {"kind":"via#streamingEventCollection","totalItems":2,"events":[
          {"kind":"via#pullModeEvent","eventId":"1-1","correlationId":"",
           "eventType":"pullMode.ListRequestReceived","publishedTime":"2026-11-22T10:00:00.001Z",
           "schemaVersion":"1","payload":"{\\"eventId\\":\\"not-this\\",\\"n\\":[1,{}]}"},
          {"kind":"via#pullModeEvent","payload":"{}","eventId":"1-2","correlationId":"c",
           "eventType":"pullMode.ListRequestReceived","publishedTime":"2026-11-22T10:00:00.002Z",
           "schemaVersion":"1","extra":{"publishedTime":"nested, not this"}}]}
        """;
    List<String> read = new ArrayList<>();

    IntakeBench.eachEvent(answer, (id, time) -> read.add(id + " " + time));

    assertThat(read)
        .containsExactly("1-1 2026-11-22T10:00:00.001Z", "1-2 2026-11-22T10:00:00.002Z");
  }

  @Test
  void an_answer_that_is_not_a_collection_of_events_fails_the_run() {
    assertThatThrownBy(() -> IntakeBench.eachEvent("[]", (id, time) -> {}))
        .isInstanceOf(IllegalStateException.class);
    for (String answer :
        List.of(
            "{\"totalItems\":0}",
            "{\"events\":[{\"payload\":\"{}\"}]}",
            "{\"events\":[{\"eventId\":{\"a\":1},\"publishedTime\":\"t\"}]}",
            "{\"events\":[\"not an event\"]}")) {
      assertThatThrownBy(() -> IntakeBench.eachEvent(answer, (id, time) -> {}))
          .as(answer)
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
