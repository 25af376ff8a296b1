package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.converger.LifecycleConvergerHandler;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AlarmActionsStandIn;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsEndpoints;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The converger's benchmark (docs/benchmarks.md): cold start in fresh JVMs with Lambda's flags,
 * warm latency in one JVM, and AWS API calls per event, all against moto behind the gateway.
 * Figures go to bench/results/lifecycle-converger.json and to stdout.
 *
 * <p>Usage: {@code ConvergerBenchmark <classpath-of-the-function> [coldRuns] [warmEvents]}
 */
public final class ConvergerBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern TIMING = Pattern.compile("timing init_ms=(\\d+) first_event_ms=(\\d+)");

    private ConvergerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String functionClasspath = args[0];
        int coldRuns = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int warmEvents = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Path root = CfnTemplate.repositoryRoot();
        ObjectNode report = MAPPER.createObjectNode();
        report.put("measuredAt", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores, java " + Runtime.version());

        try (MotoServer moto = MotoServer.start();
             AlarmActionsStandIn alarms = new AlarmActionsStandIn(moto.url())) {
            CodePipelineStandIn pipelines = new CodePipelineStandIn();
            try (AwsGateway gateway = new AwsGateway(moto.url(), List.of(pipelines, alarms))) {
                AwsEndpoints.all(gateway.url());
                ConvergerStack stack = new ConvergerStack("moodle").create();
                pipelines.createPipeline(stack.pipeline);

                report.set("apiCalls", apiCalls(stack, root));
                report.set("coldStart", coldStart(stack, root, moto.url(), gateway.url(), functionClasspath, coldRuns));
                report.set("warm", warm(stack, root, warmEvents));
            }
        }
        Path out = root.resolve("bench/results/lifecycle-converger.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        System.out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.out.println("written to " + root.relativize(out));
        System.exit(0); // WireMock's and the SDK's non-daemon threads would keep the JVM alive
    }

    private static ObjectNode apiCalls(ConvergerStack stack, Path root) throws IOException {
        byte[] event = Files.readAllBytes(root.resolve("events/parameter-store-change.json"));
        LifecycleConvergerHandler handler = new LifecycleConvergerHandler(stack.functionEnvironment(), new AwsClients());
        stack.setFlag("Yes");
        var first = AwsCallRecorder.record(() -> Bench.quietly(handler, event, "moodle-lifecycle-converger"));
        var replay = AwsCallRecorder.record(() -> Bench.quietly(handler, event, "moodle-lifecycle-converger"));
        stack.setFlag("No");
        Bench.quietly(handler, event, "moodle-lifecycle-converger");
        // Moodle's own configuration (settings, application cache) came with a later requirement and
        // is counted apart: its Run Command and the reading of its result.
        long moodleConfigCalls = first.calls().stream()
                .filter(c -> c.action().equals("ssm:SendCommand") && c.resources().get(0).contains("-moodle-config")
                        || c.action().equals("ssm:GetCommandInvocation"))
                .count();
        long lifecycleCalls = first.calls().size() - moodleConfigCalls;
        ObjectNode n = MAPPER.createObjectNode();
        n.put("firstApplyCalls", first.calls().size());
        n.put("firstApplyLifecycleCalls", lifecycleCalls);
        n.put("firstApplyMoodleConfigCalls", moodleConfigCalls);
        n.put("firstApplyWrites", first.writes());
        n.put("firstApplyOperations", String.join(", ", first.calls().stream().map(c -> c.operation()).toList()));
        n.put("replayCalls", replay.calls().size());
        n.put("replayWrites", replay.writes());
        n.put("targets", "first apply <= 8 lifecycle calls (+ Moodle's configuration: command and result); "
                + "replay <= 2 calls and 0 writes");
        n.put("met", lifecycleCalls <= 8 && moodleConfigCalls <= 2 && replay.calls().size() <= 2 && replay.writes() == 0);
        return n;
    }

    /** Each run is a fresh JVM with the flags Lambda's java21 runtime uses, handling a real transition. */
    /**
     * The cold runs talk to moto directly, and to the WireMock gateway only for the two services
     * whose operations moto lacks (CloudWatch alarm actions, CodePipeline), through the SDK's
     * per-service endpoint settings: the proxy's own latency is not the function's.
     */
    private static ObjectNode coldStart(ConvergerStack stack, Path root, String motoUrl, String gatewayUrl,
                                        String functionClasspath, int runs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.putAll(Map.of("AWS_REGION", MotoServer.REGION, "AWS_ACCESS_KEY_ID", "bench",
                "AWS_SECRET_ACCESS_KEY", "bench", "AWS_ENDPOINT_URL", motoUrl, "AWS_EMF_ENVIRONMENT", "Local",
                "AWS_LAMBDA_FUNCTION_NAME", "moodle-lifecycle-converger", "AUTOPILOT_TIMING", "1"));
        env.put("AWS_ENDPOINT_URL_CLOUDWATCH", gatewayUrl);
        env.put("AWS_ENDPOINT_URL_CODEPIPELINE", gatewayUrl);
        String handler = "io.moodleautopilot.converger.LifecycleConvergerHandler::handleRequest";
        String event = root.resolve("events/parameter-store-change.json").toString();
        long[] wall = new long[runs];
        long[] direct = new long[runs];
        long[] init = new long[runs];
        long[] firstEvent = new long[runs];
        for (int i = 0; i < runs; i++) {
            // Interleaved, so that both paths see the same machine: each run applies a transition.
            stack.setFlag(i % 2 == 0 ? "Yes" : "No");
            wall[i] = Bench.coldRun("LifecycleConvergerFunction", Path.of(event), env);
            stack.setFlag(i % 2 == 0 ? "No" : "Yes");
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(Bench.LAMBDA_JVM_FLAGS);
            cmd.addAll(List.of("-cp", functionClasspath, "io.moodleautopilot.tools.LocalInvoke", handler, event));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            long start = System.nanoTime();
            Process p = pb.start();
            String err = new String(p.getErrorStream().readAllBytes());
            int exit = p.waitFor();
            direct[i] = (System.nanoTime() - start) / 1_000_000;
            Matcher m = TIMING.matcher(err);
            if (exit != 0 || !m.find()) {
                throw new IllegalStateException("direct cold run " + i + " failed (exit " + exit + "): " + err);
            }
            init[i] = Long.parseLong(m.group(1));
            firstEvent[i] = Long.parseLong(m.group(2));
            System.err.printf("cold run %d: emulator %d ms, direct %d ms (JVM start to handler ready %d ms, "
                    + "to first result %d ms)%n", i + 1, wall[i], direct[i], init[i], firstEvent[i]);
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("runs", runs);
        n.put("path", "Lambda's runtime interface emulator + Java runtime client, SnapStart credentials "
                + "(container endpoint), JVM options of the java21 runtime (scripts/lambda_emulator.py)");
        n.put("event", "first apply of a transition (8 API calls)");
        n.put("wallMedianMs", Bench.median(wall));
        n.put("wallMinMs", Arrays.stream(wall).min().orElse(0));
        n.put("wallMaxMs", Arrays.stream(wall).max().orElse(0));
        ObjectNode d = n.putObject("directBaseline");
        d.put("path", "plain JVM calling the handler from a main method (the previous local path), same run, interleaved");
        d.put("wallMedianMs", Bench.median(direct));
        d.put("jvmStartToHandlerReadyMedianMs", Bench.median(init));
        d.put("jvmStartToFirstResultMedianMs", Bench.median(firstEvent));
        n.put("emulatorOverheadMedianMs", Bench.median(wall) - Bench.median(direct));
        n.put("emulatorToDirectRatio", Math.round(100.0 * Bench.median(wall) / Bench.median(direct)) / 100.0);
        n.put("target", "wall median <= 450 ms");
        n.put("met", Bench.median(wall) <= 450);
        return n;
    }

    private static ObjectNode warm(ConvergerStack stack, Path root, int events) throws IOException {
        LifecycleConvergerHandler handler = new LifecycleConvergerHandler(stack.functionEnvironment(), new AwsClients());
        byte[] change = Files.readAllBytes(root.resolve("events/parameter-store-change.json"));
        byte[] schedule = Files.readAllBytes(root.resolve("events/scheduled-safety-net.json"));
        stack.setFlag("Yes");
        Bench.quietly(handler, change, "moodle-lifecycle-converger"); // apply, so what follows measures the steady state
        for (int i = 0; i < 20; i++) {
            Bench.quietly(handler, change, "moodle-lifecycle-converger"); // warm-up, not measured
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.set("replayedEvent", percentiles(handler, change, events));
        n.set("safetyNetSchedule", percentiles(handler, schedule, events));
        return n;
    }

    private static ObjectNode percentiles(LifecycleConvergerHandler handler, byte[] event, int events) {
        long[] micros = new long[events];
        for (int i = 0; i < events; i++) {
            long start = System.nanoTime();
            Bench.quietly(handler, event, "moodle-lifecycle-converger");
            micros[i] = (System.nanoTime() - start) / 1_000;
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("events", events);
        n.put("p50Ms", Bench.pct(micros, 0.5));
        n.put("p99Ms", Bench.pct(micros, 0.99));
        return n;
    }
}
