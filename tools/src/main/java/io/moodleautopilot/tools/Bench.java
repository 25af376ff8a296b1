package io.moodleautopilot.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** What the benchmarks share: percentiles, and one cold start as Lambda would do it. */
final class Bench {
    /** The JVM options of Lambda's java21 runtime (scripts/lambda_emulator.py adds the heap size from the memory). */
    static final List<String> LAMBDA_JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:+TieredCompilation",
            "-XX:TieredStopAtLevel=1");

    private Bench() {
    }

    /** The p-th percentile of microsecond samples, in milliseconds. */
    static double pct(long[] micros, double p) {
        long[] s = micros.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, Math.max(0, (int) Math.ceil(s.length * p) - 1))] / 1000.0;
    }

    static long median(long[] values) {
        long[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** One warm invocation with the function's log and metric lines discarded. */
    static io.moodleautopilot.testbed.FunctionRun.Outcome quietly(
            com.amazonaws.services.lambda.runtime.RequestStreamHandler handler, byte[] event, String function) {
        java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            return io.moodleautopilot.testbed.FunctionRun.invoke(handler, event, function, 60_000);
        } finally {
            System.setOut(original);
        }
    }

    /**
     * One cold invocation as Lambda runs it (scripts/lambda_emulator.py: Lambda's runtime interface
     * emulator and Java runtime client, handler, memory, timeout and SnapStart from template.yaml,
     * SnapStart functions on container credentials only); wall milliseconds, start to answer.
     */
    static long coldRun(String logicalId, Path event, Map<String, String> env) throws Exception {
        return coldRun(FunctionCode.of(io.moodleautopilot.testbed.CfnTemplate.repositoryRoot(), logicalId), event, env,
                List.of()).wallMs();
    }

    /** One run through the emulator: wall milliseconds and the function's answer (its result document). */
    record EmulatorRun(long wallMs, String result) {
    }

    /**
     * The same for the code of any build (the repository's or an earlier revision's), through this
     * repository's emulator and runtime client; jvmOptions are appended to the runtime's own.
     */
    static EmulatorRun coldRun(FunctionCode fn, Path event, Map<String, String> env, List<String> jvmOptions)
            throws Exception {
        Path root = io.moodleautopilot.testbed.CfnTemplate.repositoryRoot();
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", root.resolve("scripts/lambda_emulator.py").toString(),
                "--classes", fn.classes().toString(), "--lib", fn.lib().toString(),
                "--handler", fn.handler(), "--name", env.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", fn.logicalId()),
                "--memory", String.valueOf(fn.memoryMb()), "--timeout", String.valueOf(fn.timeoutSeconds())));
        if (fn.snapStart()) {
            cmd.add("--snapstart");
        }
        env.forEach((k, v) -> {
            // Lambda sets these itself; the emulator hands the function Lambda's own.
            if (!k.startsWith("AWS_LAMBDA_") && !k.equals("AWS_REGION") && !k.startsWith("AWS_ACCESS_KEY")
                    && !k.startsWith("AWS_SECRET") && !k.equals("AWS_SESSION_TOKEN")) {
                cmd.addAll(List.of("--env", k + "=" + v));
            }
        });
        jvmOptions.forEach(o -> cmd.add("--jvm-option=" + o));
        cmd.add(event.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        long t = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        long ms = (System.nanoTime() - t) / 1_000_000;
        if (exit != 0) {
            throw new IllegalStateException("cold run of " + fn.logicalId() + " failed with exit " + exit + ": " + failure(out));
        }
        return new EmulatorRun(ms, lastLine(out));
    }

    /** What a direct cold run reports: wall time, and from the child's own JVM start to handler ready and to result. */
    record DirectRun(long wallMs, long initMs, long firstResultMs, String result) {
    }

    private static final java.util.regex.Pattern TIMING =
            java.util.regex.Pattern.compile("timing init_ms=(\\d+) first_event_ms=(\\d+)");

    /**
     * The direct path: a plain JVM with Lambda's flags and heap that calls the handler from a main
     * method ({@link LocalInvoke}), no emulator, no runtime client. The classpath is the function's
     * (classes, then its jars) and the invoker's classes alone, nothing the function would not load.
     */
    static DirectRun coldRunDirect(FunctionCode fn, Path invokerClasses, Path event, Map<String, String> env,
                                   List<String> jvmOptions) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        cmd.addAll(LAMBDA_JVM_FLAGS);
        // As scripts/lambda_emulator.py starts the runtime: heap about 85% of the memory, IPv4.
        cmd.addAll(List.of("-XX:MaxHeapSize=" + (int) (fn.memoryMb() * 1024 * 0.85) + "k", "-Djava.net.preferIPv4Stack=true"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", fn.directClasspath(invokerClasses), LocalInvoke.class.getName(), fn.handler(),
                event.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", String.valueOf(fn.memoryMb()));
        pb.environment().put("AWS_LAMBDA_FUNCTION_TIMEOUT", String.valueOf(fn.timeoutSeconds()));
        pb.environment().put("AUTOPILOT_TIMING", "1");
        pb.redirectErrorStream(true);
        long t = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        long ms = (System.nanoTime() - t) / 1_000_000;
        java.util.regex.Matcher m = TIMING.matcher(out);
        if (exit != 0 || !m.find()) {
            throw new IllegalStateException("direct cold run of " + fn.logicalId() + " failed with exit " + exit + ": "
                    + failure(out));
        }
        String result = lastLine(out);
        if (result.contains("\"errorType\"")) {
            throw new IllegalStateException("direct cold run of " + fn.logicalId() + " answered an error: " + result);
        }
        return new DirectRun(ms, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), result);
    }

    /** Both paths print the function's result as the last line. */
    static String lastLine(String out) {
        return out.strip().lines().reduce((a, b) -> b).orElse("");
    }

    /**
     * Why a run failed: Lambda's error document (the last line on both paths) as its type and message,
     * without the stack trace; otherwise the end of the output, where a JVM that did not start says why.
     */
    static String failure(String out) {
        try {
            var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lastLine(out));
            if (doc != null && doc.hasNonNull("errorMessage")) {
                return doc.path("errorType").asText() + ": " + doc.get("errorMessage").asText();
            }
        } catch (java.io.IOException e) {
            // not an error document: the output's end says more
        }
        return out.length() <= 2000 ? out : "..." + out.substring(out.length() - 2000);
    }
}
