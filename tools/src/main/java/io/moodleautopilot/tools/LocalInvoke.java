package io.moodleautopilot.tools;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.moodleautopilot.testbed.LocalLambdaContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's baseline only: a plain JVM that builds the handler (public no-arg constructor)
 * and calls it with the event file, without Lambda's runtime emulator and runtime client. Local
 * invokes, the demo and the cold-start figures go through scripts/lambda_emulator.py, which runs
 * functions as Lambda does; this measures what that costs (docs/benchmarks.md).
 *
 * <p>Usage: {@code LocalInvoke <package.Class::handleRequest> <event.json>}.
 */
public final class LocalInvoke {
    private LocalInvoke() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: LocalInvoke <package.Class::method> <event.json>");
            System.exit(2);
        }
        String className = args[0].contains("::") ? args[0].substring(0, args[0].indexOf("::")) : args[0];
        Path event = Path.of(args[1]);
        if (!Files.isReadable(event)) {
            System.err.println("event file not readable: " + event);
            System.exit(2);
        }
        long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        Object handler = Class.forName(className).getDeclaredConstructor().newInstance();
        long initDone = System.currentTimeMillis();
        if (!(handler instanceof RequestStreamHandler streamHandler)) {
            System.err.println(className + " is not a RequestStreamHandler; only stream handlers are supported");
            System.exit(2);
            return;
        }
        String function = System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", className);
        long timeout = Long.parseLong(System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_TIMEOUT", "60")) * 1000;
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try {
            streamHandler.handleRequest(new ByteArrayInputStream(Files.readAllBytes(event)), result,
                    new LocalLambdaContext(function, timeout));
        } catch (RuntimeException e) {
            out.flush();
            out.println("{\"errorType\":\"" + e.getClass().getName() + "\",\"errorMessage\":"
                    + com.fasterxml.jackson.databind.node.TextNode.valueOf(String.valueOf(e.getMessage())) + "}");
            System.exit(1);
        }
        if (System.getenv("AUTOPILOT_TIMING") != null) {
            // For the benchmark: JVM start to handler constructed, and to first result.
            System.err.println("timing init_ms=" + (initDone - jvmStart)
                    + " first_event_ms=" + (System.currentTimeMillis() - jvmStart));
        }
        out.flush();
        out.println();
        out.println(result.toString(StandardCharsets.UTF_8));
    }
}
