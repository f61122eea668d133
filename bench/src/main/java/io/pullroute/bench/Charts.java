package io.pullroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Draws the report's charts (PNG, with XChart) from the latest results in bench/results: latency
 * against delivery rate for pullroute and CometD, claims a second, memory per parked poll.
 */
final class Charts {
  static final Path OUT = Path.of("bench", "charts");

  private Charts() {}

  static void draw() throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(OUT);
    fanout();
    claims();
    memory();
  }

  private static JsonNode latest(String workload) throws IOException {
    for (String name : List.of(workload + "-latest.json", workload + "-quick-latest.json")) {
      Path file = Report.RESULTS.resolve(name);
      if (Files.exists(file)) {
        return Http.JSON.readTree(file.toFile());
      }
    }
    return null;
  }

  private static void fanout() throws IOException {
    JsonNode result = latest("fanout");
    if (result == null) {
      return;
    }
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title("Fan-out: p99 latency against delivery rate")
            .xAxisTitle("deliveries per second")
            .yAxisTitle("p99 latency (ms)")
            .build();
    for (String system : List.of("pullroute", "cometd")) {
      List<Double> rates = new ArrayList<>();
      List<Double> p99 = new ArrayList<>();
      for (JsonNode step : result.at("/details/steps")) {
        if (step.get("system").asText().equals(system)) {
          rates.add(step.get("rate").asDouble());
          p99.add(Math.max(0.1, step.get("p99_ms").asDouble()));
        }
      }
      if (!rates.isEmpty()) {
        chart.addSeries(system, rates, p99);
      }
    }
    BitmapEncoder.saveBitmap(
        chart, OUT.resolve("fanout-latency").toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("  chart " + OUT.resolve("fanout-latency.png"));
  }

  private static void claims() throws IOException {
    JsonNode result = latest("claim");
    if (result == null) {
      return;
    }
    List<String> names = new ArrayList<>();
    List<Double> pullroute = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    List<Double> overHttp = new ArrayList<>();
    result
        .at("/details/series")
        .fields()
        .forEachRemaining(
            entry -> {
              names.add(entry.getKey());
              pullroute.add(entry.getValue().get("claims_per_s").asDouble());
              raw.add(entry.getValue().get("raw_sql_per_s").asDouble());
              // Results written before session 12 have no raw SQL over HTTP.
              overHttp.add(entry.getValue().path("sql_over_http_per_s").asDouble(0));
            });
    // 1,000 wide: at 800 the labels of the six store-and-agents groups ran into each other.
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(1000)
            .height(500)
            .title("Claims per second: PullInteraction, the raw UPDATE over HTTP, the raw UPDATE")
            .xAxisTitle("store and agents")
            .yAxisTitle("claims per second")
            .build();
    chart.addSeries("pullroute", names, pullroute);
    chart.addSeries("raw SQL over HTTP", names, overHttp);
    chart.addSeries("raw SQL", names, raw);
    BitmapEncoder.saveBitmap(
        chart, OUT.resolve("claims").toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("  chart " + OUT.resolve("claims.png"));
  }

  private static void memory() throws IOException {
    List<String> names = new ArrayList<>();
    List<Double> perPoll = new ArrayList<>();
    for (String file : List.of("memory-quick-latest.json", "memory-latest.json")) {
      Path path = Report.RESULTS.resolve(file);
      if (Files.exists(path)) {
        JsonNode result = Http.JSON.readTree(path.toFile());
        String protocol = result.at("/result/protocol").asText("http/1.1");
        names.add(result.at("/result/parked").asText() + " parked (" + protocol + ")");
        perPoll.add(result.at("/result/heap_kb_per_parked_poll").asDouble());
      }
    }
    if (names.isEmpty()) {
      return;
    }
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(500)
            .title("Heap per parked poll (after full GC)")
            .xAxisTitle("parked polls")
            .yAxisTitle("KB per parked poll")
            .build();
    chart.addSeries("pullroute", names, perPoll);
    BitmapEncoder.saveBitmap(
        chart, OUT.resolve("memory").toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("  chart " + OUT.resolve("memory.png"));
  }
}
