package io.moodleautopilot.function.log;

import com.amazonaws.services.lambda.runtime.Context;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * The keys every log line of an invocation carries (Powertools' names: function_request_id,
 * cold_start, ...), put in the MDC for the invocation and cleared after it, so nothing of one
 * invocation leaks into the next one's lines.
 */
public final class LambdaLogContext {
    private static final AtomicBoolean FIRST_INVOCATION = new AtomicBoolean(true);
    static final String TRACE_HEADER_PROPERTY = "com.amazonaws.xray.traceHeader";

    private LambdaLogContext() {
    }

    public static <T> T around(Context context, Map<String, String> env, Supplier<T> invocation) {
        MDC.clear();
        MDC.put("cold_start", String.valueOf(FIRST_INVOCATION.getAndSet(false)));
        if (context != null) {
            putIfPresent("function_arn", context.getInvokedFunctionArn());
            MDC.put("function_memory_size", String.valueOf(context.getMemoryLimitInMB()));
            putIfPresent("function_name", context.getFunctionName());
            putIfPresent("function_request_id", context.getAwsRequestId());
            putIfPresent("function_version", context.getFunctionVersion());
        }
        putIfPresent("service", env.getOrDefault("POWERTOOLS_SERVICE_NAME", "service_undefined"));
        // Lambda's Java runtime client puts each invocation's trace header in this system property
        // (a JVM cannot change its environment); the variable is the fallback outside it.
        putIfPresent("xray_trace_id", traceRoot(System.getProperty(TRACE_HEADER_PROPERTY,
                System.getenv("_X_AMZN_TRACE_ID"))));
        try {
            return invocation.get();
        } finally {
            MDC.clear();
        }
    }

    /** {@code Root=1-5759e988-bd862e3fe1be46a994272793;Parent=...;Sampled=1} gives the Root's value. */
    static String traceRoot(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            if (part.startsWith("Root=")) {
                return part.substring("Root=".length());
            }
        }
        return null;
    }

    private static void putIfPresent(String key, String value) {
        if (value != null && !value.isEmpty()) {
            MDC.put(key, value);
        }
    }
}
