package io.moodleautopilot.testbed;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs a real handler with an event and captures what it printed: JSON logs and embedded metrics. */
public final class FunctionRun {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private FunctionRun() {
    }

    public record Outcome(JsonNode result, List<String> stdout) {
        public String outcome() {
            return result.path("outcome").asText();
        }

        /** Names of the embedded-format metrics the invocation emitted. */
        public List<String> metrics() {
            List<String> names = new ArrayList<>();
            for (String line : stdout) {
                if (line.contains("\"_aws\"")) {
                    parse(line).path("_aws").path("CloudWatchMetrics").forEach(d ->
                            d.path("Metrics").forEach(m -> names.add(m.path("Name").asText())));
                }
            }
            return names;
        }

        /** Structured log lines at ERROR level. */
        public List<JsonNode> errorLogs() {
            return stdout.stream().filter(l -> l.startsWith("{") && l.contains("\"level\":\"ERROR\""))
                    .map(FunctionRun::parse).toList();
        }

        public String allOutput() {
            return String.join("\n", stdout) + "\n" + result;
        }
    }

    public static synchronized Outcome invoke(RequestStreamHandler handler, byte[] event, String function,
                                              long timeoutMillis) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            handler.handleRequest(new ByteArrayInputStream(event), result, new LocalLambdaContext(function, timeoutMillis));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        List<String> lines = List.of(out.split("\n"));
        checkShapes(lines);
        return new Outcome(parse(result.toString(StandardCharsets.UTF_8)), lines);
    }

    /** The keys every log line of an invocation carries (the functions' JSON-lines logger). */
    static final List<String> LOG_KEYS = List.of("level", "message", "timestamp", "cold_start", "function_arn",
            "function_memory_size", "function_name", "function_request_id", "function_version", "service");

    /**
     * Every test that runs a handler checks what it printed: each metric line is a valid embedded
     * metric format document, and each log line has the invocation's keys. A line that breaks either
     * fails the test that produced it.
     */
    static void checkShapes(List<String> lines) {
        for (String line : lines) {
            if (!line.startsWith("{")) {
                continue;
            }
            JsonNode n = parse(line);
            if (n.has("_aws")) {
                List<String> wrong = EmbeddedMetricFormat.violations(n);
                if (!wrong.isEmpty()) {
                    throw new AssertionError("metric line breaks the EMF specification " + wrong + ": " + line);
                }
                continue;
            }
            for (String key : LOG_KEYS) {
                if (!n.has(key)) {
                    throw new AssertionError("log line without " + key + ": " + line);
                }
            }
            if (!n.path("cold_start").isBoolean() || !n.path("function_memory_size").isIntegralNumber()) {
                throw new AssertionError("log line with cold_start not a boolean or memory not a number: " + line);
            }
        }
    }

    private static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
