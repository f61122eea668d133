package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.cometd.bayeux.Message;
import org.cometd.bayeux.client.ClientSessionChannel;
import org.cometd.client.BayeuxClient;
import org.cometd.client.http.jetty.JettyHttpClientTransport;
import org.eclipse.jetty.client.HttpClient;

/**
 * Fan-out of small events to many subscribers, open loop (events leave on schedule whether or not
 * earlier ones arrived), on pullroute's streaming API and on a CometD server of the same shape.
 * Latency is from the event's send time (carried in it) to its arrival at each subscriber.
 */
final class Fanout {
  private Fanout() {}

  /**
   * What one step at one rate measured. Publish times are from an event's send until the server
   * answered the publish (pullroute: committed to the log; CometD: its reply to the publish
   * message); CPU times are per delivery, of the server and of this process (the load generator),
   * filled in by {@link #withCpu}.
   */
  record Step(
      String system,
      int deliveriesPerSecond,
      long expected,
      long received,
      double p50Ms,
      double p99Ms,
      double maxMs,
      double publishP50Ms,
      double publishP99Ms,
      double serverCpuMicros,
      double clientCpuMicros) {
    long lost() {
      return Math.max(0, expected - received);
    }

    /** A step from what its recorders hold since they were last read (CPU not yet filled in). */
    static Step of(
        String system,
        int deliveriesPerSecond,
        long expected,
        long received,
        Recorder latencies,
        Recorder published) {
      var histogram = latencies.getIntervalHistogram();
      var publishes = published.getIntervalHistogram();
      return new Step(
          system,
          deliveriesPerSecond,
          expected,
          received,
          histogram.getValueAtPercentile(50) / 1000.0,
          histogram.getValueAtPercentile(99) / 1000.0,
          histogram.getMaxValue() / 1000.0,
          publishes.getValueAtPercentile(50) / 1000.0,
          publishes.getValueAtPercentile(99) / 1000.0,
          0,
          0);
    }

    /** This step with the CPU time the server and the load generator spent on it. */
    Step withCpu(java.time.Duration server, java.time.Duration client) {
      long deliveries = Math.max(1, received);
      return new Step(
          system,
          deliveriesPerSecond,
          expected,
          received,
          p50Ms,
          p99Ms,
          maxMs,
          publishP50Ms,
          publishP99Ms,
          server.toNanos() / 1e3 / deliveries,
          client.toNanos() / 1e3 / deliveries);
    }
  }

  /** A histogram of publish times, from send until the server's answer. */
  private static Recorder publishTimes() {
    return new Recorder(3_600_000_000L, 3);
  }

  /** Polls answered with at least one event, over the run. */
  private static final AtomicLong ANSWERED = new AtomicLong();

  /**
   * The load generator's clock, in microseconds: monotonic, and the same for the stamp an event
   * carries and for its arrival, since both are read in this process. (Until session 7 it was the
   * wall clock's milliseconds with the monotonic clock's microseconds added: the two do not tick
   * together, so a latency that crossed the wall clock's millisecond at another point than the
   * monotonic one's was off by ±1 ms.)
   */
  static long micros() {
    return System.nanoTime() / 1000;
  }

  // ---- pullroute

  /** 10 topics × {@code perTopic} subscriber sessions on pullroute; returns what one rate did. */
  static Step pullroute(
      ServerUnderTest server,
      List<List<String>> sessionsByTopic,
      int deliveriesPerSecond,
      int seconds,
      boolean acknowledge)
      throws Exception {
    try (Pollers pollers = new Pollers(server, sessionsByTopic, acknowledge)) {
      return pollers.step(deliveriesPerSecond, seconds);
    }
  }

  /**
   * Every session polling, one poll after the other, until closed: the subscribers of pullroute for
   * any number of steps. Kept polling between steps (parked, with nothing to deliver), their
   * connections stay open, as the CometD clients' do: when all 1,000 stopped between steps, the
   * load generator closed their idle connections, and the next step began with 1,000 new
   * connections at once (its p99 read 1–2 s, the kernel's retry of dropped connection attempts).
   */
  static final class Pollers implements AutoCloseable {
    private final ServerUnderTest server;
    private final int topics;
    private final int perTopic;
    private final boolean acknowledge;
    private final Recorder latencies = new Recorder(3_600_000_000L, 3);
    private final AtomicLong received = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<CompletableFuture<Void>> polling = new ArrayList<>();

    Pollers(ServerUnderTest server, List<List<String>> sessionsByTopic, boolean acknowledge) {
      this.server = server;
      this.topics = sessionsByTopic.size();
      this.perTopic = sessionsByTopic.getFirst().size();
      this.acknowledge = acknowledge;
      for (List<String> sessions : sessionsByTopic) {
        for (String session : sessions) {
          CompletableFuture<Void> done = new CompletableFuture<>();
          poll(server, session, acknowledge, running, latencies, received, done);
          polling.add(done);
        }
      }
    }

    /** Publishes at {@code deliveriesPerSecond} for {@code seconds}; what the subscribers got. */
    Step step(int deliveriesPerSecond, int seconds) throws Exception {
      long answeredBefore = ANSWERED.get();
      Step step =
          measure(
              acknowledge ? "pullroute-ack" : "pullroute",
              deliveriesPerSecond,
              seconds,
              topics,
              perTopic,
              latencies,
              received,
              (topic, sent) -> server.publish("topic-" + topic, sent));
      long answered = Math.max(1, ANSWERED.get() - answeredBefore);
      Report.progress(
          "pullroute: %d polls answered with events, %.2f events each",
          answered, step.received() / (double) answered);
      for (CompletableFuture<Void> poller : polling) {
        if (poller.isCompletedExceptionally()) {
          poller.join(); // a poll that failed: the step's figures would be wrong
        }
      }
      return step;
    }

    /** Stops polling: waits until every session's last poll returned (at most the poll wait). */
    @Override
    public void close() throws Exception {
      running.set(false);
      CompletableFuture.allOf(polling.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
  }

  private static void poll(
      ServerUnderTest server,
      String session,
      boolean acknowledge,
      AtomicBoolean running,
      Recorder latencies,
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
              long now = micros();
              JsonNode events = response.json().get("events");
              if (!events.isEmpty()) {
                ANSWERED.incrementAndGet();
              }
              List<Map<String, String>> acks = new ArrayList<>();
              for (JsonNode event : events) {
                try {
                  JsonNode payload = Http.JSON.readTree(event.get("payload").asText());
                  latencies.recordValue(
                      Math.max(0, now - Long.parseLong(payload.get("sent").asText())));
                } catch (Exception e) {
                  done.completeExceptionally(e);
                  return;
                }
                received.incrementAndGet();
                acks.add(Map.of("eventId", event.get("eventId").asText()));
              }
              if (acknowledge && !acks.isEmpty()) {
                server
                    .http
                    .send(
                        "POST",
                        "/via/v3/organizations/" + server.org + "/streaming/acknowledge",
                        server.via(session),
                        Map.of("events", acks))
                    .whenComplete(
                        (ack, ackError) ->
                            poll(server, session, true, running, latencies, received, done));
              } else {
                poll(server, session, acknowledge, running, latencies, received, done);
              }
            });
  }

  // ---- CometD

  static final class CometDClients implements AutoCloseable {
    final HttpClient http;
    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    final List<BayeuxClient> clients = new ArrayList<>();
    final Recorder latencies = new Recorder(3_600_000_000L, 3);
    final AtomicLong received = new AtomicLong();
    BayeuxClient publisher;

    CometDClients(String url, int topics, int perTopic) throws Exception {
      http = Http.http11(Http.Pool.RANDOM, topics * perTopic * 2 + 16);
      http.start();
      for (int topic = 0; topic < topics; topic++) {
        for (int i = 0; i < perTopic; i++) {
          BayeuxClient client =
              new BayeuxClient(
                  url, scheduler, new JettyHttpClientTransport(new java.util.HashMap<>(), http));
          client.handshake();
          if (!client.waitFor(30_000, BayeuxClient.State.CONNECTED)) {
            throw new IllegalStateException("CometD client did not connect");
          }
          CompletableFuture<Boolean> subscribed = new CompletableFuture<>();
          client
              .getChannel("/topic/" + topic)
              .subscribe(this::onMessage, message -> subscribed.complete(message.isSuccessful()));
          subscribed.get(30, TimeUnit.SECONDS);
          clients.add(client);
        }
      }
      publisher =
          new BayeuxClient(
              url, scheduler, new JettyHttpClientTransport(new java.util.HashMap<>(), http));
      publisher.handshake();
      publisher.waitFor(30_000, BayeuxClient.State.CONNECTED);
    }

    private void onMessage(ClientSessionChannel channel, Message message) {
      Object data = message.getData();
      if (data instanceof Map<?, ?> map && map.get("sent") instanceof String sent) {
        latencies.recordValue(Math.max(0, micros() - Long.parseLong(sent)));
        received.incrementAndGet();
      }
    }

    Step step(int deliveriesPerSecond, int seconds, int topics, int perTopic) throws Exception {
      return measure(
          "cometd",
          deliveriesPerSecond,
          seconds,
          topics,
          perTopic,
          latencies,
          received,
          (topic, sent) -> {
            CompletableFuture<Http.Response> answered = new CompletableFuture<>();
            String stamp = Long.toString(sent);
            publisher
                .getChannel("/topic/" + topic)
                .publish(
                    Map.of("sent", stamp, "pad", "x".repeat(Math.max(0, 30 - stamp.length()))),
                    reply -> answered.complete(new Http.Response(200, "")));
            return answered;
          });
    }

    @Override
    public void close() throws Exception {
      for (BayeuxClient client : clients) {
        client.disconnect();
      }
      publisher.disconnect();
      scheduler.shutdownNow();
      http.stop();
    }
  }

  // ---- shared

  interface Publish {
    CompletableFuture<Http.Response> send(int topic, long sentMicros);
  }

  /**
   * One step of either system: the subscribers' recorders start afresh, events leave on schedule
   * through {@code publish} (each answer's time recorded), and the deliveries are waited for.
   */
  static Step measure(
      String system,
      int deliveriesPerSecond,
      int seconds,
      int topics,
      int perTopic,
      Recorder latencies,
      AtomicLong received,
      Publish publish)
      throws Exception {
    latencies.reset();
    received.set(0);
    Recorder published = publishTimes();
    long events =
        publishOpenLoop(
            deliveriesPerSecond / perTopic,
            seconds,
            topics,
            (topic, sent) ->
                publish
                    .send(topic, sent)
                    .whenComplete(
                        (answer, error) -> published.recordValue(Math.max(0, micros() - sent))));
    drain(received, events * perTopic);
    return Step.of(
        system, deliveriesPerSecond, events * perTopic, received.get(), latencies, published);
  }

  /**
   * Sends {@code eventsPerSecond} events a second for {@code seconds}, round robin over the topics,
   * on a fixed schedule: a slow answer does not delay the next send (open loop).
   */
  static long publishOpenLoop(int eventsPerSecond, int seconds, int topics, Publish publish)
      throws Exception {
    long total = (long) eventsPerSecond * seconds;
    long intervalNanos = 1_000_000_000L / Math.max(1, eventsPerSecond);
    long start = System.nanoTime();
    List<CompletableFuture<Http.Response>> sent = new ArrayList<>();
    for (long i = 0; i < total; i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait); // the schedule of an open-loop load, not a test sleep
      }
      sent.add(publish.send((int) (i % topics), micros()));
      if (i % Math.max(1, eventsPerSecond) == 0 && i > 0) {
        Report.progress("sent %d of %d events", i, total);
      }
    }
    for (CompletableFuture<Http.Response> answer : sent) {
      answer.get(120, TimeUnit.SECONDS);
    }
    return total;
  }

  /** Waits (bounded) until {@code expected} deliveries arrived or nothing more comes. */
  static void drain(AtomicLong received, long expected) throws InterruptedException {
    long last = -1;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (received.get() < expected && System.nanoTime() < deadline) {
      long now = received.get();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > 5_000_000_000L) {
        return; // nothing for 5 s: what is missing is lost
      }
      TimeUnit.MILLISECONDS.sleep(50); // watching a counter fed by other threads; a benchmark
    }
  }
}
