package io.pullroute.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a workload measured: one {@code RESULT} line on stdout and a JSON file. */
final class Report {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final Path RESULTS = Path.of("bench", "results");

  private final String workload;
  private final Map<String, Object> result = new LinkedHashMap<>();
  private final Map<String, Object> details = new LinkedHashMap<>();

  Report(String workload) {
    this.workload = workload;
  }

  /** A key of the RESULT line. */
  Report put(String key, Object value) {
    result.put(key, value);
    return this;
  }

  Object get(String key) {
    return result.get(key);
  }

  /** More figures, in the JSON file only (series for the charts). */
  Report detail(String key, Object value) {
    details.put(key, value);
    return this;
  }

  void finish(boolean quick) throws IOException {
    String line =
        "RESULT "
            + workload
            + " "
            + result.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + format(entry.getValue()))
                .collect(Collectors.joining(" "));
    System.out.println(line);
    Files.createDirectories(RESULTS);
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("workload", workload);
    document.put("quick", quick);
    document.put("time", Instant.now().toString());
    document.put("machine", machine());
    document.put("result", result);
    document.put("details", details);
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC)
            .format(Instant.now());
    Path file = RESULTS.resolve(workload + (quick ? "-quick-" : "-") + stamp + ".json");
    JSON.writeValue(file.toFile(), document);
    JSON.writeValue(
        RESULTS.resolve(workload + (quick ? "-quick" : "") + "-latest.json").toFile(), document);
    System.out.println("  written to " + file);
  }

  static Map<String, Object> machine() {
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("java", System.getProperty("java.version"));
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    return machine;
  }

  private static String format(Object value) {
    if (value instanceof Double number) {
      return String.format(java.util.Locale.ROOT, "%.2f", number);
    }
    if (value instanceof List<?> list) {
      return list.stream().map(Report::format).collect(Collectors.joining(","));
    }
    return String.valueOf(value);
  }

  /** Prints a progress line now and then while a step runs. */
  static void progress(String format, Object... args) {
    System.out.printf(java.util.Locale.ROOT, "  … " + format + "%n", args);
    System.out.flush();
  }
}
