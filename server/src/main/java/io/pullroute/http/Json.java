package io.pullroute.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
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

  public static final ObjectMapper MAPPER =
      new ObjectMapper()
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

  private Json() {}
}
