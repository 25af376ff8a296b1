package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.core.install.Credentials;
import io.moodleautopilot.core.install.DatabaseEngine;
import io.moodleautopilot.core.install.DatabaseTarget;
import io.moodleautopilot.core.install.MoodleDatabaseReader;
import io.moodleautopilot.core.install.SnapshotQuery;
import io.moodleautopilot.detector.InstallDetectorHandler;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsEndpoints;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.DetectorStack;
import io.moodleautopilot.testbed.MoodleSite;
import io.moodleautopilot.testbed.MotoServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The InstallDetector's benchmark: cold start in fresh JVMs, warm invocations, and the classification
 * itself against a real (embedded) PostgreSQL. Figures: bench/results/install-detector.json.
 *
 * <p>Usage: {@code DetectorBenchmark [coldRuns] [warmEvents]}
 */
public final class DetectorBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DetectorBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int coldRuns = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path root = CfnTemplate.repositoryRoot();
        byte[] event = Files.readAllBytes(root.resolve("events/scheduled-install-detector.json"));
        ObjectNode report = MAPPER.createObjectNode();
        report.put("measuredAt", Instant.now().toString());
        try (MotoServer moto = MotoServer.start(); EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            AwsEndpoints.all(moto.url());
            DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_")
                    .create("postgres", "bench-pw-1");
            new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                    .drop().wizardSiteSettingsPending(); // the state it watches longest, no flip

            // Classification alone: a connection per classification (what the detector does), and the
            // query on an open connection (the one round trip).
            DatabaseTarget target = new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1", pg.getPort(),
                    "postgres", "mdl_", "disable", "");
            MoodleDatabaseReader reader = new MoodleDatabaseReader();
            Credentials creds = new Credentials("postgres", "x");
            for (int i = 0; i < 50; i++) {
                reader.read(target, creds);
            }
            long[] withConnect = new long[warm];
            for (int i = 0; i < warm; i++) {
                long t = System.nanoTime();
                reader.read(target, creds);
                withConnect[i] = (System.nanoTime() - t) / 1000;
            }
            long[] queryOnly = new long[warm];
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                String q = SnapshotQuery.forPrefix("mdl_");
                for (int i = 0; i < 50 + warm; i++) {
                    long t = System.nanoTime();
                    try (ResultSet rs = st.executeQuery(q)) {
                        rs.next();
                    }
                    if (i >= 50) {
                        queryOnly[i - 50] = (System.nanoTime() - t) / 1000;
                    }
                }
            }
            ObjectNode cls = MAPPER.createObjectNode();
            cls.put("queriesPerClassification", 1);
            cls.put("withConnectP50Ms", Bench.pct(withConnect, 0.5));
            cls.put("withConnectP99Ms", Bench.pct(withConnect, 0.99));
            cls.put("queryOnlyP50Ms", Bench.pct(queryOnly, 0.5));
            cls.put("queryOnlyP99Ms", Bench.pct(queryOnly, 0.99));
            cls.put("target", "one query, <= 20 ms warm");
            cls.put("met", Bench.pct(withConnect, 0.5) <= 20);
            report.set("classification", cls);

            // Warm invocations of the whole handler (RDS check, flag read, login cached, query, record).
            InstallDetectorHandler handler = new InstallDetectorHandler(stack.functionEnvironment(), new AwsClients());
            for (int i = 0; i < 20; i++) {
                Bench.quietly(handler, event, "moodle-install-detector");
            }
            var calls = AwsCallRecorder.record(() -> Bench.quietly(handler, event, "moodle-install-detector")).calls();
            long[] inv = new long[warm];
            for (int i = 0; i < warm; i++) {
                long t = System.nanoTime();
                Bench.quietly(handler, event, "moodle-install-detector");
                inv[i] = (System.nanoTime() - t) / 1000;
            }
            ObjectNode w = MAPPER.createObjectNode();
            w.put("events", warm);
            w.put("p50Ms", Bench.pct(inv, 0.5));
            w.put("p99Ms", Bench.pct(inv, 0.99));
            w.put("awsCallsPerSteadyRun", calls.size());
            w.put("awsOperations", String.join(", ", calls.stream().map(c -> c.operation()).toList()));
            report.set("warm", w);

            // Cold starts: fresh JVMs with Lambda's flags, against moto and the embedded PostgreSQL.
            Map<String, String> env = new HashMap<>(stack.functionEnvironment());
            env.putAll(Map.of("AWS_REGION", MotoServer.REGION, "AWS_ACCESS_KEY_ID", "bench", "AWS_SECRET_ACCESS_KEY",
                    "bench", "AWS_ENDPOINT_URL", moto.url(), "AWS_EMF_ENVIRONMENT", "Local",
                    "AWS_LAMBDA_FUNCTION_NAME", "moodle-install-detector"));
            long[] wall = new long[coldRuns];
            for (int i = 0; i < coldRuns; i++) {
                wall[i] = Bench.coldRun("InstallDetectorFunction", root.resolve("events/scheduled-install-detector.json"), env);
                System.err.printf("detector cold run %d: %d ms%n", i + 1, wall[i]);
            }
            Arrays.sort(wall);
            ObjectNode cold = MAPPER.createObjectNode();
            cold.put("runs", coldRuns);
            cold.put("wallMedianMs", wall[coldRuns / 2]);
            cold.put("wallMinMs", wall[0]);
            cold.put("wallMaxMs", wall[coldRuns - 1]);
            report.set("coldStart", cold);
        }
        Path out = root.resolve("bench/results/install-detector.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        System.out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.out.println("written to " + root.relativize(out));
        System.exit(0);
    }
}
