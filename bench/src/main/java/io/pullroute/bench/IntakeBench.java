package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
        ServerUnderTest.start(null, Duration.ofSeconds(15), subscribers * 2 + 64)) {
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
      Fanout.drain(received, requests * subscribers);
      running.set(false);
      CompletableFuture.allOf(pollers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      Histogram histogram = new Histogram(3_600_000_000L, 3);
      lastArrival.forEach(
          (id, arrival) -> histogram.recordValue(Math.max(0, arrival - published.get(id))));
      double p50 = histogram.getValueAtPercentile(50) / 1000.0;
      double p99 = histogram.getValueAtPercentile(99) / 1000.0;
      Report.progress(
          "%d requests at %d/s to %d subscribers: all had it after p50 %.1f ms, p99 %.1f ms",
          requests, rate, subscribers, p50, p99);
      report
          .put("rate", rate)
          .put("subscribers", subscribers)
          .put("p50_ms", p50)
          .put("p99_ms", p99)
          .put("lost", requests * subscribers - received.get());
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
              for (JsonNode event : response.json().get("events")) {
                String id = event.get("eventId").asText();
                Instant time = Instant.parse(event.get("publishedTime").asText());
                published.putIfAbsent(id, time.toEpochMilli() * 1000);
                lastArrival.merge(id, now, Math::max);
                received.incrementAndGet();
              }
              poll(server, session, running, lastArrival, published, received, done);
            });
  }
}
