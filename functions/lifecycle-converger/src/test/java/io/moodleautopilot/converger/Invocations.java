package io.moodleautopilot.converger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.aws.AwsClients;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.LocalLambdaContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the real handler, built with the environment template.yaml declares, and captures its stdout. */
final class Invocations {
    static final ObjectMapper MAPPER = new ObjectMapper();

    record Outcome(JsonNode result, List<String> stdout) {
        String outcome() {
            return result.path("outcome").asText();
        }

        /** Names of the embedded-format metrics the invocation emitted. */
        List<String> metrics() {
            List<String> names = new ArrayList<>();
            for (String line : stdout) {
                if (!line.contains("\"_aws\"")) {
                    continue;
                }
                try {
                    JsonNode emf = MAPPER.readTree(line);
                    emf.path("_aws").path("CloudWatchMetrics").forEach(d ->
                            d.path("Metrics").forEach(m -> names.add(m.path("Name").asText())));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return names;
        }

        /** Structured log lines at ERROR level. */
        List<JsonNode> errorLogs() {
            List<JsonNode> out = new ArrayList<>();
            for (String line : stdout) {
                if (line.startsWith("{") && line.contains("\"level\":\"ERROR\"")) {
                    try {
                        out.add(MAPPER.readTree(line));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            return out;
        }
    }

    private Invocations() {
    }

    static LifecycleConvergerHandler handler(ConvergerStack stack) {
        return new LifecycleConvergerHandler(stack.functionEnvironment(), new AwsClients());
    }

    static LifecycleConvergerHandler handler(Map<String, String> env) {
        return new LifecycleConvergerHandler(env, new AwsClients());
    }

    static byte[] event(String file) {
        try {
            return Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events").resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A custom resource event from events/ with its pre-signed URL pointed at a local receiver. */
    static byte[] stackEvent(String file, String responseUrl) {
        try {
            ObjectNode n = (ObjectNode) MAPPER.readTree(event(file));
            n.put("ResponseURL", responseUrl);
            return MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Outcome invoke(LifecycleConvergerHandler handler, byte[] event) {
        return invoke(handler, event, 60_000);
    }

    static synchronized Outcome invoke(LifecycleConvergerHandler handler, byte[] event, long timeoutMillis) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            handler.handleRequest(new ByteArrayInputStream(event), result,
                    new LocalLambdaContext("moodle-lifecycle-converger", timeoutMillis));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        try {
            return new Outcome(MAPPER.readTree(result.toByteArray()), List.of(out.split("\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
