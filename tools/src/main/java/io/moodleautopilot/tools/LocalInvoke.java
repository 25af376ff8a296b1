package io.moodleautopilot.tools;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's direct path only: a plain JVM that builds the handler (public no-arg constructor)
 * and calls it with the event file, without Lambda's runtime emulator and runtime client. Local
 * invokes, the demo and the cold-start figures go through scripts/lambda_emulator.py, which runs
 * functions as Lambda does; this measures what that costs (docs/benchmarks.md).
 *
 * <p>It runs on the function's own classpath, so it uses nothing but the JDK and
 * aws-lambda-java-core (which every function has): whatever else it loaded would be charged to the
 * function's cold start, or would be missing from a function that does not ship it.
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
        Object handler = Class.forName(className).getDeclaredConstructor().newInstance();
        long initDone = System.currentTimeMillis();
        if (!(handler instanceof RequestStreamHandler streamHandler)) {
            System.err.println(className + " is not a RequestStreamHandler; only stream handlers are supported");
            System.exit(2);
            return;
        }
        String function = System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", className);
        long timeout = Long.parseLong(System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_TIMEOUT", "60")) * 1000;
        int memory = Integer.parseInt(System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"));
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        PrintStream out = System.out;
        try {
            streamHandler.handleRequest(new ByteArrayInputStream(Files.readAllBytes(event)), result,
                    new InvokeContext(function, memory, System.currentTimeMillis() + timeout));
        } catch (RuntimeException e) {
            out.flush();
            out.println("{\"errorType\":" + jsonString(e.getClass().getName()) + ",\"errorMessage\":"
                    + jsonString(String.valueOf(e.getMessage())) + "}");
            System.exit(1);
        }
        long firstResult = System.currentTimeMillis();
        if (System.getenv("AUTOPILOT_TIMING") != null) {
            // For the benchmark: JVM start to handler constructed, and to first result. The JVM's start
            // time is read only now, so that java.management's loading is not in either figure.
            long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
            System.err.println("timing init_ms=" + (initDone - jvmStart) + " first_event_ms=" + (firstResult - jvmStart));
        }
        out.flush();
        out.println();
        out.println(result.toString(StandardCharsets.UTF_8));
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259, section 7). */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * What Lambda's runtime hands the handler, as far as a local run can say it. Its own rather than the
     * test bed's LocalLambdaContext: the test bed would put its own dependencies on the measured classpath.
     */
    private record InvokeContext(String function, int memoryMb, long deadlineMillis) implements Context {
        // Not a random UUID: SecureRandom's set-up would be charged to the function.
        private static final String REQUEST_ID = "local-" + Long.toHexString(System.nanoTime());

        @Override
        public String getAwsRequestId() {
            return REQUEST_ID;
        }

        @Override
        public String getLogGroupName() {
            return "/aws/lambda/" + function;
        }

        @Override
        public String getLogStreamName() {
            return "local";
        }

        @Override
        public String getFunctionName() {
            return function;
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return "arn:aws:lambda:" + System.getenv().getOrDefault("AWS_REGION", "us-east-1")
                    + ":123456789012:function:" + function;
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return (int) Math.max(0, deadlineMillis - System.currentTimeMillis());
        }

        @Override
        public int getMemoryLimitInMB() {
            return memoryMb;
        }

        @Override
        public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override
                public void log(String message) {
                    System.out.print(message);
                }

                @Override
                public void log(byte[] message) {
                    System.out.write(message, 0, message.length);
                }
            };
        }
    }
}
