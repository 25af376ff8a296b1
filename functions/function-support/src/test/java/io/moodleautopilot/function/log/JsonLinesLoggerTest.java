package io.moodleautopilot.function.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.testbed.LocalLambdaContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.event.Level;

class JsonLinesLoggerTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aLineHasPowertoolsKeysInTheirOrderThenTheCodesOwn() throws Exception {
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("stack", "moodle");
        mdc.put("function_request_id", "req-1");
        mdc.put("cold_start", "true");
        mdc.put("function_memory_size", "1024");
        mdc.put("service", "lifecycle-converger");
        mdc.put("xray_trace_id", "1-5759e988-bd862e3fe1be46a994272793");
        String line = JsonLinesLogger.line(Level.INFO, "converged: \"quoted\"\nnext", null, mdc,
                Instant.parse("2026-12-01T08:00:00.123456Z"));
        JsonNode n = MAPPER.readTree(line);
        assertThat(iterable(n.fieldNames())).containsExactly("level", "message", "cold_start", "function_memory_size",
                "function_request_id", "service", "timestamp", "xray_trace_id", "stack");
        assertThat(n.path("message").asText()).isEqualTo("converged: \"quoted\"\nnext");
        assertThat(n.path("cold_start").isBoolean()).isTrue();
        assertThat(n.path("function_memory_size").isInt()).isTrue();
        assertThat(n.path("timestamp").asText()).isEqualTo("2026-12-01T08:00:00.123Z");
        assertThat(line).doesNotContain("\n");
    }

    @Test
    void anErrorCarriesItsMessageNameAndStack() throws Exception {
        String line = JsonLinesLogger.line(Level.ERROR, "failed", new IllegalStateException("boom"), Map.of(),
                Instant.EPOCH);
        JsonNode error = MAPPER.readTree(line).path("error");
        assertThat(error.path("message").asText()).isEqualTo("boom");
        assertThat(error.path("name").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(error.path("stack").asText()).contains("JsonLinesLoggerTest");
    }

    @Test
    void controlCharactersAreEscaped() throws Exception {
        String line = JsonLinesLogger.line(Level.WARN, "tab\there \u0001 \u2028", null, Map.of(), Instant.EPOCH);
        assertThat(MAPPER.readTree(line).path("message").asText()).isEqualTo("tab\there \u0001 \u2028");
        assertThat(line).doesNotContain("\u2028");
    }

    @Test
    void theLevelComesFromLambdaThenPowertoolsVariables() {
        assertThat(JsonLinesServiceProvider.level(Map.of())).isEqualTo(Level.INFO);
        assertThat(JsonLinesServiceProvider.level(Map.of("POWERTOOLS_LOG_LEVEL", "debug"))).isEqualTo(Level.DEBUG);
        assertThat(JsonLinesServiceProvider.level(Map.of("AWS_LAMBDA_LOG_LEVEL", "WARN", "POWERTOOLS_LOG_LEVEL", "DEBUG")))
                .isEqualTo(Level.WARN);
        assertThat(JsonLinesServiceProvider.level(Map.of("AWS_LAMBDA_LOG_LEVEL", "FATAL"))).isEqualTo(Level.ERROR);
        assertThat(JsonLinesServiceProvider.level(Map.of("POWERTOOLS_LOG_LEVEL", "loud"))).isEqualTo(Level.INFO);
    }

    @Test
    void slf4jFindsThisBindingAndOtherLibrariesLogOnlyWarnings() {
        Logger own = LoggerFactory.getLogger("io.moodleautopilot.converger.Example");
        Logger sdk = LoggerFactory.getLogger("software.amazon.awssdk.request");
        assertThat(own).isInstanceOf(JsonLinesLogger.class);
        assertThat(own.isInfoEnabled()).isTrue();
        assertThat(sdk.isInfoEnabled()).isFalse();
        assertThat(sdk.isWarnEnabled()).isTrue();
    }

    @Test
    void anInvocationsKeysAreOnItsLinesAndGoneAfterIt() throws Exception {
        Logger log = LoggerFactory.getLogger("io.moodleautopilot.test");
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 2; i++) {
                LambdaLogContext.around(new LocalLambdaContext("fn", 1000), Map.of("POWERTOOLS_SERVICE_NAME", "svc"), () -> {
                    MDC.put("stack", "moodle");
                    log.info("inside");
                    return null;
                });
            }
            log.info("outside");
        } finally {
            System.setOut(original);
        }
        List<JsonNode> lines = captured.toString(StandardCharsets.UTF_8).lines().map(l -> {
            try {
                return MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).path("function_name").asText()).isEqualTo("fn");
        assertThat(lines.get(0).path("service").asText()).isEqualTo("svc");
        assertThat(lines.get(0).path("stack").asText()).isEqualTo("moodle");
        assertThat(lines.get(1).path("cold_start").asBoolean()).isFalse();
        assertThat(lines.get(2).has("function_request_id")).isFalse();
        assertThat(lines.get(2).has("stack")).isFalse();
    }

    @Test
    void eachInvocationCarriesTheTraceIdTheRuntimeClientSetForIt() throws Exception {
        Logger log = LoggerFactory.getLogger("io.moodleautopilot.test");
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (String root : List.of("1-5759e988-bd862e3fe1be46a994272793", "1-5759e988-000000000000000000000002")) {
                System.setProperty(LambdaLogContext.TRACE_HEADER_PROPERTY, "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1");
                LambdaLogContext.around(new LocalLambdaContext("fn", 1000), Map.of(), () -> {
                    log.info("traced");
                    return null;
                });
            }
        } finally {
            System.clearProperty(LambdaLogContext.TRACE_HEADER_PROPERTY);
            System.setOut(original);
        }
        List<String> traces = captured.toString(StandardCharsets.UTF_8).lines()
                .map(l -> {
                    try {
                        return MAPPER.readTree(l).path("xray_trace_id").asText();
                    } catch (Exception e) {
                        throw new AssertionError(l, e);
                    }
                }).toList();
        assertThat(traces).containsExactly("1-5759e988-bd862e3fe1be46a994272793", "1-5759e988-000000000000000000000002");
    }

    @Test
    void theTraceRootIsTakenFromLambdasHeader() {
        assertThat(LambdaLogContext.traceRoot("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"))
                .isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
        assertThat(LambdaLogContext.traceRoot(null)).isNull();
        assertThat(LambdaLogContext.traceRoot("Parent=1")).isNull();
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
