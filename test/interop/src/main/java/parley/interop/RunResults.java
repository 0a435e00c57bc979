package parley.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The outcome of every test, written as JSON for test/interop/sinttest.ts. */
final class RunResults {
  enum Status { passed, failed, skipped }

  record Outcome(Status status, String reason, String spec, long millis) {}

  private static final int MAX_REASON = 400;

  private final Map<String, Outcome> outcomes = new TreeMap<>();

  void record(TestCatalog.TestCase test, Status status, String reason, long millis) {
    outcomes.put(test.key(), new Outcome(status, reason == null ? null : oneLine(reason), test.spec(), millis));
  }

  boolean has(TestCatalog.TestCase test) {
    return outcomes.containsKey(test.key());
  }

  long count(Status status) {
    return outcomes.values().stream().filter(o -> o.status() == status).count();
  }

  void write(Path file, String smackVersion, long durationMillis) throws IOException {
    StringBuilder json = new StringBuilder(64 * 1024);
    json.append("{\n  \"smack\": ").append(quote(smackVersion))
        .append(",\n  \"durationMs\": ").append(durationMillis)
        .append(",\n  \"tests\": {");
    String separator = "\n";
    for (Map.Entry<String, Outcome> entry : outcomes.entrySet()) {
      Outcome outcome = entry.getValue();
      json.append(separator).append("    ").append(quote(entry.getKey())).append(": { \"status\": ")
          .append(quote(outcome.status().name()));
      if (outcome.reason() != null) json.append(", \"reason\": ").append(quote(outcome.reason()));
      if (outcome.spec() != null) json.append(", \"spec\": ").append(quote(outcome.spec()));
      json.append(", \"ms\": ").append(outcome.millis()).append(" }");
      separator = ",\n";
    }
    json.append("\n  }\n}\n");
    Files.writeString(file, json, StandardCharsets.UTF_8);
  }

  private static String oneLine(String text) {
    String line = text.replaceAll("\\s+", " ").trim();
    return line.length() <= MAX_REASON ? line : line.substring(0, MAX_REASON - 1) + "…";
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20) quoted.append(String.format("\\u%04x", (int) c));
          else quoted.append(c);
        }
      }
    }
    return quoted.append('"').toString();
  }
}
