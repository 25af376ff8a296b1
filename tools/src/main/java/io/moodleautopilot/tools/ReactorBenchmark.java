package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.reactor.AlarmReactorHandler;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsEndpoints;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.ReactorStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The AlarmReactor's benchmark: AWS calls for a notify-only transition and for a duplicate, warm
 * latency, and cold starts, against moto (which has everything this function calls).
 * Figures: bench/results/alarm-reactor.json.
 *
 * <p>Usage: {@code ReactorBenchmark [coldRuns] [warmEvents]}
 */
public final class ReactorBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReactorBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int coldRuns = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path root = CfnTemplate.repositoryRoot();
        ObjectNode report = MAPPER.createObjectNode();
        report.put("measuredAt", Instant.now().toString());
        try (MotoServer moto = MotoServer.start()) {
            AwsEndpoints.all(moto.url());
            ReactorStack stack = new ReactorStack("moodle", Map.of()).create();
            stack.setPhase("PRODUCTION");
            AlarmReactorHandler handler = new AlarmReactorHandler(stack.functionEnvironment(), new AwsClients());

            String alarm = stack.createAlarm("alb-5xx");
            byte[] first = stack.transition(alarm, "ALARM", "Threshold Crossed");
            var notify = AwsCallRecorder.record(() -> Bench.quietly(handler, first, "moodle-alarm-reactor"));
            var duplicate = AwsCallRecorder.record(() -> Bench.quietly(handler, first, "moodle-alarm-reactor"));
            ObjectNode calls = MAPPER.createObjectNode();
            calls.put("notifyOnlyCalls", notify.calls().size());
            calls.put("notifyOnlyOperations", String.join(", ", notify.calls().stream().map(c -> c.operation()).toList()));
            calls.put("duplicateCalls", duplicate.calls().size());
            calls.put("target", "notify-only <= 4, duplicate <= 1");
            calls.put("met", notify.calls().size() <= 4 && duplicate.calls().size() <= 1);
            report.set("apiCalls", calls);

            // Warm, notify path: the alarm's ledger item is removed before each measured ALARM, so
            // every event is a first transition that notifies (4 calls), not a fold.
            long[] micros = new long[warm];
            try (var ddb = AwsCallRecorder.unrecorded(software.amazon.awssdk.services.dynamodb.DynamoDbClient.builder())) {
                for (int i = 0; i < warm + 20; i++) {
                    stack.transition(alarm, "OK", "calm " + i);
                    ddb.deleteItem(r -> r.tableName(stack.table).key(Map.of("alarmName",
                            software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(alarm))));
                    byte[] e = stack.transition(alarm, "ALARM", "busy " + i);
                    long t = System.nanoTime();
                    Bench.quietly(handler, e, "moodle-alarm-reactor");
                    if (i >= 20) {
                        micros[i - 20] = (System.nanoTime() - t) / 1000;
                    }
                }
            }
            ObjectNode w = MAPPER.createObjectNode();
            w.put("events", warm);
            w.put("p50Ms", Bench.pct(micros, 0.5));
            w.put("p99Ms", Bench.pct(micros, 0.99));
            report.set("warmNotify", w);

            long[] notifyMicros = new long[warm];
            String busy = stack.createAlarm("cache-cpu");
            for (int i = 0; i < warm; i++) {
                byte[] e = stack.transition(busy, i % 2 == 0 ? "ALARM" : "OK", "flap " + i);
                long t = System.nanoTime();
                Bench.quietly(handler, e, "moodle-alarm-reactor");
                notifyMicros[i] = (System.nanoTime() - t) / 1000;
            }
            ObjectNode wn = MAPPER.createObjectNode();
            wn.put("events", warm);
            wn.put("note", "one alarm flapping: first ALARM notifies, later ones fold into the digest (2 calls)");
            wn.put("p50Ms", Bench.pct(notifyMicros, 0.5));
            wn.put("p99Ms", Bench.pct(notifyMicros, 0.99));
            report.set("warmFlapping", wn);

            Map<String, String> env = new HashMap<>(stack.functionEnvironment());
            env.putAll(Map.of("AWS_REGION", MotoServer.REGION, "AWS_ACCESS_KEY_ID", "bench", "AWS_SECRET_ACCESS_KEY",
                    "bench", "AWS_ENDPOINT_URL", moto.url(), "AWS_EMF_ENVIRONMENT", "Local",
                    "AWS_LAMBDA_FUNCTION_NAME", "moodle-alarm-reactor"));
            long[] wall = new long[coldRuns];
            Path event = Files.createTempFile("alarm-event-", ".json");
            for (int i = 0; i < coldRuns; i++) {
                Files.write(event, stack.transition(stack.createAlarm("efs-throughput"), i % 2 == 0 ? "ALARM" : "OK", "cold " + i));
                wall[i] = Bench.coldRun("AlarmReactorFunction", event, env);
                System.err.printf("reactor cold run %d: %d ms%n", i + 1, wall[i]);
            }
            ObjectNode cold = MAPPER.createObjectNode();
            cold.put("runs", coldRuns);
            cold.put("event", "a new transition of a notify alarm (ALARM notifies or folds, OK records or resolves)");
            cold.put("wallMedianMs", Bench.median(wall));
            report.set("coldStart", cold);
        }
        Path out = root.resolve("bench/results/alarm-reactor.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        System.out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.out.println("written to " + root.relativize(out));
        System.exit(0);
    }
}
