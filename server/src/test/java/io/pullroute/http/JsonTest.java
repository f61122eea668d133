package io.pullroute.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format's mapper, and the buffers every mapper of the server shares. */
class JsonTest {
  @Test
  void every_mapper_takes_its_buffers_from_one_bounded_pool_not_from_the_thread() {
    RecyclerPool<?> pool = Json.MAPPER.getFactory()._getRecyclerPool();

    assertThat(pool).isInstanceOf(JsonRecyclerPools.BoundedPool.class);
    assertThat(Json.newMapper().getFactory()._getRecyclerPool()).isSameAs(pool);
  }

  @Test
  void instants_are_written_as_spec_003_times() throws Exception {
    String written =
        Json.MAPPER.writeValueAsString(Map.of("at", Instant.parse("1985-04-12T23:20:50.525Z")));

    assertThat(written).isEqualTo("{\"at\":\"1985-04-12T23:20:50.525Z\"}");
  }
}
