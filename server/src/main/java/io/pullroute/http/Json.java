package io.pullroute.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The one JSON configuration of the wire format. */
public final class Json {
  /** ISO-8601 UTC with milliseconds, as spec 003 writes times: 1985-04-12T23:20:50.525Z. */
  public static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /**
   * Jackson's working buffers, shared by every mapper of the server. Jackson keeps them per thread
   * by default, and here every request runs on a virtual thread of its own: each answer and each
   * parsed body allocated fresh buffers of several KB (half of the server's allocation in the
   * fan-out benchmark, and so most of its garbage collections). Bounded: at most this many are kept
   * between uses.
   */
  private static final RecyclerPool<BufferRecycler> BUFFERS = JsonRecyclerPools.newBoundedPool(64);

  public static final ObjectMapper MAPPER =
      newMapper()
          .registerModule(new JavaTimeModule())
          .registerModule(
              new SimpleModule()
                  .addSerializer(
                      Instant.class,
                      new StdSerializer<>(Instant.class) {
                        @Override
                        public void serialize(
                            Instant value, JsonGenerator generator, SerializerProvider provider)
                            throws IOException {
                          generator.writeString(TIME.format(value));
                        }
                      }))
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .setSerializationInclusion(JsonInclude.Include.ALWAYS);

  /**
   * How deep a request body may nest. Jackson reads up to 1,000 levels and writes at most 1,000: a
   * customer nested 998 deep was accepted, and the events written from it then failed (a 500), or
   * broke later answers that carried it. Nothing pullroute takes nests beyond a few levels.
   */
  public static final int MAX_BODY_DEPTH = 64;

  /**
   * {@link #MAPPER} for request bodies: refuses a body nested deeper than {@link #MAX_BODY_DEPTH}.
   */
  public static final ObjectMapper BODIES =
      new ObjectMapper(
          JsonFactory.builder()
              .recyclerPool(BUFFERS)
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(MAX_BODY_DEPTH).build())
              .build());

  private Json() {}

  /** A mapper with Jackson's defaults that takes its buffers from the shared pool. */
  public static ObjectMapper newMapper() {
    return new ObjectMapper(JsonFactory.builder().recyclerPool(BUFFERS).build());
  }
}
