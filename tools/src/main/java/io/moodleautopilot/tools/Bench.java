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

    /** A fresh JVM with Lambda's flags running the handler on one event; wall milliseconds, process start to exit. */
    static long coldRun(String functionClasspath, String handler, Path event, Map<String, String> env) throws Exception {
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
            throw new IllegalStateException("cold run of " + handler + " failed with exit " + exit);
        }
        return ms;
    }
}
