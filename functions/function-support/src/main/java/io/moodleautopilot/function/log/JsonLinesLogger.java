package io.moodleautopilot.function.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * One JSON object per line on standard output, the shape CloudWatch Logs Insights and Lambda's JSON
 * log format read: level, message, error (message, name, stack), then the invocation's keys
 * ({@link LambdaLogContext}) and whatever else the code put in the MDC (stack, trigger, phase).
 * It replaces Powertools' log4j2 layout with the same keys: log4j2's start-up was a fifth of the
 * functions' cold start (docs/benchmarks.md).
 */
final class JsonLinesLogger extends LegacyAbstractLogger {
    /** Written in this order, before the other MDC keys; the same keys Powertools wrote. */
    static final String[] INVOCATION_KEYS = {"cold_start", "function_arn", "function_memory_size", "function_name",
            "function_request_id", "function_version", "service"};
    private static final Set<String> UNQUOTED = Set.of("cold_start", "function_memory_size");

    private final transient Level threshold;

    JsonLinesLogger(String name, Level threshold) {
        this.name = name;
        this.threshold = threshold;
    }

    @Override
    public boolean isTraceEnabled() {
        return enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return enabled(Level.ERROR);
    }

    private boolean enabled(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                               Throwable throwable) {
        String message = MessageFormatter.basicArrayFormat(pattern, arguments);
        // System.out as it is now, so a test that captures it sees the line.
        System.out.println(line(level, message, throwable, MDC.getCopyOfContextMap(), Instant.now()));
    }

    static String line(Level level, String message, Throwable error, Map<String, String> mdc, Instant at) {
        StringBuilder out = new StringBuilder(256).append("{\"level\":");
        JsonText.quote(out, level.name()).append(",\"message\":");
        JsonText.quote(out, message == null ? "null" : message);
        if (error != null) {
            StringWriter stack = new StringWriter();
            error.printStackTrace(new PrintWriter(stack));
            out.append(",\"error\":{\"message\":");
            JsonText.quote(out, String.valueOf(error.getMessage())).append(",\"name\":");
            JsonText.quote(out, error.getClass().getName()).append(",\"stack\":");
            JsonText.quote(out, stack.toString()).append('}');
        }
        Map<String, String> context = mdc == null ? Map.of() : mdc;
        for (String key : INVOCATION_KEYS) {
            String value = context.get(key);
            if (value != null) {
                member(out, key, value);
            }
        }
        out.append(",\"timestamp\":");
        JsonText.quote(out, at.truncatedTo(ChronoUnit.MILLIS).toString());
        String trace = context.get("xray_trace_id");
        if (trace != null) {
            member(out, "xray_trace_id", trace);
        }
        context.forEach((key, value) -> {
            if (!UNQUOTED.contains(key) && !key.equals("xray_trace_id") && !isInvocationKey(key) && value != null) {
                member(out, key, value);
            }
        });
        return out.append('}').toString();
    }

    private static boolean isInvocationKey(String key) {
        for (String k : INVOCATION_KEYS) {
            if (k.equals(key)) {
                return true;
            }
        }
        return false;
    }

    private static void member(StringBuilder out, String key, String value) {
        out.append(',');
        JsonText.quote(out, key).append(':');
        if (UNQUOTED.contains(key) && isNumberOrBoolean(value)) {
            out.append(value);
        } else {
            JsonText.quote(out, value);
        }
    }

    private static boolean isNumberOrBoolean(String value) {
        return value.equals("true") || value.equals("false") || value.chars().allMatch(Character::isDigit) && !value.isEmpty();
    }
}
