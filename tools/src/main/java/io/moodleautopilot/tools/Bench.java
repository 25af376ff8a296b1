package io.moodleautopilot.tools;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** What the benchmarks share: percentiles, and one cold start as Lambda would do it. */
final class Bench {
    static final List<String> LAMBDA_JVM_FLAGS = List.of("-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1");

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
        io.moodleautopilot.testbed.CfnTemplate template = io.moodleautopilot.testbed.CfnTemplate.load();
        Map<String, Object> fn = template.properties(logicalId);
        Path root = io.moodleautopilot.testbed.CfnTemplate.repositoryRoot();
        Path code = root.resolve(String.valueOf(fn.get("CodeUri")));
        Object memory = fn.getOrDefault("MemorySize", ((Map<?, ?>) ((Map<?, ?>) template.section("Globals")
                .get("Function"))).get("MemorySize"));
        List<String> cmd = new java.util.ArrayList<>(List.of("python3", root.resolve("scripts/lambda_emulator.py").toString(),
                "--classes", code.resolve("target/classes").toString(), "--lib", code.resolve("target/lib").toString(),
                "--handler", String.valueOf(fn.get("Handler")), "--name", env.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", logicalId),
                "--memory", String.valueOf(memory), "--timeout", String.valueOf(fn.get("Timeout"))));
        if (fn.containsKey("SnapStart")) {
            cmd.add("--snapstart");
        }
        env.forEach((k, v) -> {
            // Lambda sets these itself; the emulator hands the function Lambda's own.
            if (!k.startsWith("AWS_LAMBDA_") && !k.equals("AWS_REGION") && !k.startsWith("AWS_ACCESS_KEY")
                    && !k.startsWith("AWS_SECRET") && !k.equals("AWS_SESSION_TOKEN")) {
                cmd.addAll(List.of("--env", k + "=" + v));
            }
        });
        cmd.add(event.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        long t = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = p.waitFor();
        long ms = (System.nanoTime() - t) / 1_000_000;
        if (exit != 0) {
            throw new IllegalStateException("cold run of " + logicalId + " failed with exit " + exit + ":\n" + out);
        }
        return ms;
    }

    /**
     * The previous local path, kept only as the benchmark's baseline: a plain JVM (Lambda's flags) that
     * calls the handler from a main method ({@link LocalInvoke}), no emulator, no runtime client.
     */
    static long coldRunDirect(String functionClasspath, String handler, Path event, Map<String, String> env)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        cmd.addAll(LAMBDA_JVM_FLAGS);
        cmd.addAll(List.of("-cp", functionClasspath, "io.moodleautopilot.tools.LocalInvoke", handler, event.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        long t = System.nanoTime();
        int exit = pb.start().waitFor();
        long ms = (System.nanoTime() - t) / 1_000_000;
        if (exit != 0) {
            throw new IllegalStateException("direct cold run of " + handler + " failed with exit " + exit);
        }
        return ms;
    }
}
