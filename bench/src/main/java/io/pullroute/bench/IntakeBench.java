package io.pullroute.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.HdrHistogram.Histogram;

/**
 * {@code intake}: a channel parks requests at a fixed rate on a list with 100 subscribed sessions;
 * for each request, the time until the last of them had it from a poll.
 */
final class IntakeBench {
  private IntakeBench() {}

  static void run(boolean quick) throws Exception {
    int subscribers = 100;
    int rate = 1_000;
    int seconds = quick ? 5 : 15;
    Report report = new Report("intake");
    try (ServerUnderTest server =
        ServerUnderTest.startParking(Duration.ofSeconds(15), subscribers * 2 + 64)) {
      Map<String, String> admin = server.admin();
      String list =
          server
              .http
              .call("POST", "/api/v1/lists", admin, Map.of("name", "Intake"))
              .json()
              .get("id")
              .asText();
      String channel =
          server
              .http
              .call(
                  "POST",
                  "/api/v1/channels",
                  admin,
                  Map.of(
                      "name",
                      "intake",
                      "channelType",
                      "WEB",
                      "routingMode",
                      "PULL",
                      "listId",
                      list))
              .json()
              .get("id")
              .asText();
      List<String> sessions = new ArrayList<>();
      for (int i = 0; i < subscribers; i++) {
        String session = server.session(false, null);
        server.http.call(
            "POST",
            "/via/v3/organizations/" + server.org + "/streaming/subscriptions",
            server.via(session),
            Map.of(
                "filterCriteria",
                Map.of(
                    "catalogType", "pullMode",
                    "catalogTypeEvents", List.of("ListRequestReceived"),
                    "resources", Map.of("resourceType", "lists", "resourceIds", List.of(list)))));
        sessions.add(session);
      }
      Map<String, Long> lastArrival = new ConcurrentHashMap<>();
      Map<String, Long> published = new ConcurrentHashMap<>();
      AtomicLong received = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      Duration serverCpu = server.jvm.cpuTime();
      Duration clientCpu = Jvm.ownCpuTime();
      List<CompletableFuture<Void>> pollers = new ArrayList<>();
      for (String session : sessions) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        poll(server, session, running, lastArrival, published, received, done);
        pollers.add(done);
      }
      long requests =
          Fanout.publishOpenLoop(
              rate,
              seconds,
              1,
              (topic, sent) ->
                  server.http.send(
                      "POST",
                      "/api/v1/channels/" + channel + "/conversations",
                      admin,
                      Map.of("customer", Map.of("firstName", "bench"))));
      long deliveries = requests * subscribers;
      Fanout.drain(received, deliveries);
      double serverMicros = server.jvm.cpuTime().minus(serverCpu).toNanos() / 1e3 / deliveries;
      double clientMicros = Jvm.ownCpuTime().minus(clientCpu).toNanos() / 1e3 / deliveries;
      running.set(false);
      CompletableFuture.allOf(pollers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      Histogram histogram = new Histogram(3_600_000_000L, 3);
      lastArrival.forEach(
          (id, arrival) -> histogram.recordValue(Math.max(0, arrival - published.get(id))));
      double p50 = histogram.getValueAtPercentile(50) / 1000.0;
      double p99 = histogram.getValueAtPercentile(99) / 1000.0;
      Report.progress(
          "%d requests at %d/s to %d subscribers: all had it after p50 %.1f ms, p99 %.1f ms;"
              + " CPU per delivery: server %.1f us, load generator %.1f us",
          requests, rate, subscribers, p50, p99, serverMicros, clientMicros);
      report
          .put("rate", rate)
          .put("subscribers", subscribers)
          .put("p50_ms", p50)
          .put("p99_ms", p99)
          .put("lost", deliveries - received.get())
          .put("server_cpu_us_per_delivery", Math.round(serverMicros * 10) / 10.0)
          .put("client_cpu_us_per_delivery", Math.round(clientMicros * 10) / 10.0);
    }
    report.finish(quick);
  }

  private static void poll(
      ServerUnderTest server,
      String session,
      AtomicBoolean running,
      Map<String, Long> lastArrival,
      Map<String, Long> published,
      AtomicLong received,
      CompletableFuture<Void> done) {
    if (!running.get()) {
      done.complete(null);
      return;
    }
    server
        .poll(session, 200)
        .whenComplete(
            (response, error) -> {
              if (error != null || response.status() != 200) {
                done.completeExceptionally(
                    error != null ? error : new IllegalStateException("poll answered " + response));
                return;
              }
              // Compared with the server's publishedTime: the wall clock, in milliseconds.
              long now = System.currentTimeMillis() * 1000;
              try {
                eachEvent(
                    response.body(),
                    (id, time) -> {
                      published.computeIfAbsent(
                          id, eventId -> Instant.parse(time).toEpochMilli() * 1000);
                      lastArrival.merge(id, now, Math::max);
                      received.incrementAndGet();
                    });
              } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
                return;
              }
              poll(server, session, running, lastArrival, published, received, done);
            });
  }

  /**
   * Each event's id and publishedTime in a poll answer, read as a stream. The payloads (a request
   * of ~1 KB, escaped as a JSON string, in each of 100 answers) are skipped, not decoded: built as
   * trees, the answers took more of the machine than the server under test did, and the run
   * measured the load generator (bench/REPORT.md, session 11).
   */
  static void eachEvent(String answer, BiConsumer<String, String> event) throws IOException {
    boolean events = false;
    try (JsonParser parser = Http.JSON.createParser(answer)) {
      expect(parser.nextToken() == JsonToken.START_OBJECT, answer);
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        if (!"events".equals(field)) {
          parser.nextToken();
          parser.skipChildren();
          continue;
        }
        events = true;
        expect(parser.nextToken() == JsonToken.START_ARRAY, answer);
        JsonToken item;
        while ((item = parser.nextToken()) == JsonToken.START_OBJECT) {
          String id = null;
          String time = null;
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
              case "eventId" -> id = string(parser, value);
              case "publishedTime" -> time = string(parser, value);
              default -> parser.skipChildren();
            }
          }
          expect(id != null && time != null, answer);
          event.accept(id, time);
        }
        expect(item == JsonToken.END_ARRAY, answer);
      }
    }
    expect(events, answer);
  }

  /** The value if it is a string, else null (and the value skipped). */
  private static String string(JsonParser parser, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    parser.skipChildren();
    return null;
  }

  private static void expect(boolean held, String answer) {
    if (!held) {
      throw new IllegalStateException(
          "not a poll answer with events that have ids and times: " + answer);
    }
  }
}
