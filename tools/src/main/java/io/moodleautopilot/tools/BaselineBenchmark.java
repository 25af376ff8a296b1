package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.AlarmActionsStandIn;
import io.moodleautopilot.testbed.AwsEndpoints;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.DetectorStack;
import io.moodleautopilot.testbed.MoodleSite;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.ReactorStack;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Cold starts of this repository's build (A) against an earlier revision's (B), in pairs on the same
 * machine in the same run (docs/benchmarks.md): for each function, each pair runs A then B on the
 * direct path ({@link LocalInvoke}: JVM start to first result), then A then B through Lambda's
 * runtime interface emulator (wall time), the state put back before every run. Figures:
 * bench/results/baseline-REV.json (baseline-REV-on-demand.json with --on-demand), a table on stderr.
 *
 * <p>Usage: {@code BaselineBenchmark <baseline-root> <baseline-rev> <current-rev> <pairs> <invoker-classes>
 * [--on-demand]} (scripts/bench --baseline builds the revision in a worktree and the invoker
 * directory). With {@code --on-demand} the emulator runs SnapStart functions as on-demand ones too
 * (session credentials in the environment), for a baseline that cannot read the container
 * credentials SnapStart gives.
 */
public final class BaselineBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private BaselineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        boolean onDemand = args.length == 6 && args[5].equals("--on-demand");
        if (args.length != 5 && !onDemand) {
            System.err.println("usage: BaselineBenchmark <baseline-root> <baseline-rev> <current-rev> <pairs> "
                    + "<invoker-classes> [--on-demand]");
            System.exit(2);
        }
        Path baselineRoot = Path.of(args[0]);
        String baselineRev = args[1];
        int pairs = Integer.parseInt(args[3]);
        Path invoker = Path.of(args[4]);
        Path root = CfnTemplate.repositoryRoot();
        Path events = Files.createTempDirectory("bench-baseline-events-");

        ObjectNode report = MAPPER.createObjectNode();
        report.put("measuredAt", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores, java " + Runtime.version());
        report.put("A", "current build, " + args[2]);
        report.put("B", "baseline, " + baselineRev);
        report.put("pairs", pairs);
        report.put("order", "per pair: A direct, B direct, A emulator, B emulator; the state reset before each run");
        report.put("directPath", "plain JVM, Lambda's flags " + Bench.LAMBDA_JVM_FLAGS + " and heap, calling the handler "
                + "from a main method (LocalInvoke; classpath: the function's classes and jars, the invoker alone); "
                + "JVM start to first result, as the child measures it");
        report.put("emulatorPath", "scripts/lambda_emulator.py: Lambda's runtime interface emulator and Java runtime "
                + "client (this repository's), the JVM options of the java21 runtime, each build's own handler, memory, "
                + "timeout and SnapStart from its template.yaml; wall time, start to answer");
        report.put("emulatorCredentials", onDemand
                ? "on-demand for every function (--on-demand): session credentials in the environment, SnapStart's "
                        + "container-credentials-only start not reproduced"
                : "as Lambda gives them: SnapStart functions on the container credentials endpoint only");
        ObjectNode functions = report.putObject("functions");

        try (MotoServer moto = MotoServer.start();
             AlarmActionsStandIn alarms = new AlarmActionsStandIn(moto.url());
             EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            CodePipelineStandIn pipelines = new CodePipelineStandIn();
            try (AwsGateway gateway = new AwsGateway(moto.url(), List.of(pipelines, alarms))) {
                AwsEndpoints.all(gateway.url());
                List<ColdScenario> scenarios = new ArrayList<>();

                ConvergerStack converger = new ConvergerStack("moodle").create();
                pipelines.createPipeline(converger.pipeline);
                scenarios.add(new ColdScenarios.Converger(converger, moto.url(), gateway.url(), root, events));

                DetectorStack detector = new DetectorStack("detect", "pgsql", pg.getPort(), "postgres", "mdl_")
                        .create("postgres", "bench-pw-1");
                new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                        .drop().wizardSiteSettingsPending();
                scenarios.add(new ColdScenarios.Detector(detector, moto.url(), root));

                ReactorStack reactor = new ReactorStack("react", java.util.Map.of()).create();
                reactor.setPhase("PRODUCTION");
                scenarios.add(new ColdScenarios.Reactor(reactor, moto.url(), events));

                try (ColdScenarios.Source source = new ColdScenarios.Source("source", moto.url(), root, events)) {
                    scenarios.add(source);
                    for (ColdScenario s : scenarios) {
                        functions.set(s.logicalId(), compare(s, root, baselineRoot, invoker, pairs, onDemand));
                    }
                }
            }
        } finally {
            try (var files = Files.walk(events)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }

        String shortRev = baselineRev.length() > 12 ? baselineRev.substring(0, 12) : baselineRev;
        Path out = root.resolve("bench/results/baseline-" + shortRev + (onDemand ? "-on-demand" : "") + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        printTable(report);
        System.err.println("written to " + root.relativize(out));
        System.exit(0); // WireMock's and the SDK's non-daemon threads would keep the JVM alive
    }

    /** One function: its packages, then pairs of A and B on both paths. */
    private static ObjectNode compare(ColdScenario s, Path root, Path baselineRoot, Path invoker, int pairs,
                                      boolean onDemand) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("event", s.event());
        n.put("stateReset", s.stateReset());
        FunctionCode a;
        FunctionCode b;
        try {
            a = FunctionCode.of(root, s.logicalId()).requireBuilt();
            b = FunctionCode.of(baselineRoot, s.logicalId()).requireBuilt();
            if (onDemand) {
                a = a.onDemand();
                b = b.onDemand();
            }
        } catch (RuntimeException e) {
            n.put("error", "not compared: " + e.getMessage());
            System.err.println(s.logicalId() + ": not compared: " + e.getMessage());
            return n;
        }
        ObjectNode pkg = n.putObject("package");
        for (var build : List.of(java.util.Map.entry("A", a), java.util.Map.entry("B", b))) {
            ObjectNode p = pkg.putObject(build.getKey());
            p.put("handler", build.getValue().handler());
            p.put("bytes", build.getValue().packageBytes());
            p.put("jars", build.getValue().jarCount());
        }
        // Both builds get the same environment: the stack's as this repository's template declares it
        // (a superset so far); a variable only the baseline's template declares is named here.
        Set<String> unset = new TreeSet<>(b.environmentNames());
        unset.removeAll(s.environment().keySet());
        if (!unset.isEmpty()) {
            n.putArray("baselineVariablesNotSet").addAll(unset.stream().map(MAPPER.getNodeFactory()::textNode).toList());
            System.err.println(s.logicalId() + ": the baseline's template declares variables not set here: " + unset);
        }

        measurePairs(s, a, b, invoker, pairs, n);
        return n;
    }

    /**
     * The pairs: A then B on the direct path, then A then B through the emulator. A run that fails
     * stops its path for this function (the error is reported); the other path goes on.
     */
    private static void measurePairs(ColdScenario s, FunctionCode a, FunctionCode b, Path invoker, int pairs,
                                     ObjectNode n) {
        // Per path, [0] A's and [1] B's figure of each completed pair.
        String[] paths = {"direct", "emulator"};
        long[][][] figures = new long[2][2][pairs];
        int[] done = new int[2];
        String[] errors = new String[2];
        java.util.Map<String, Set<String>> outcomes = new java.util.LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < pairs && (errors[0] == null || errors[1] == null); i++) {
            for (int p = 0; p < 2; p++) {
                if (errors[p] != null) {
                    continue;
                }
                for (int build = 0; build < 2; build++) {
                    String label = (build == 0 ? "A " : "B ") + paths[p];
                    try {
                        figures[p][build][done[p]] = run(s, build == 0 ? a : b, p == 0, invoker, label, outcomes);
                    } catch (Exception e) {
                        errors[p] = label + ", pair " + (i + 1) + ": " + e.getMessage();
                        if (p == 1 && b.snapStart() && String.valueOf(e.getMessage()).contains("Unable to load credentials")) {
                            errors[p] += " (the build does not read SnapStart's container credentials; --on-demand "
                                    + "compares both builds with session credentials)";
                        }
                        System.err.println(s.logicalId() + ": the " + paths[p] + " path stops: " + errors[p]);
                        break;
                    }
                    String check = s.checkAfterRun();
                    if (check != null) {
                        warnings.add(label + ", pair " + (i + 1) + ": " + check);
                    }
                }
                if (errors[p] == null) {
                    done[p]++;
                }
            }
            System.err.printf("%s pair %d/%d: direct %s; emulator %s%n", s.logicalId(), i + 1, pairs,
                    progress(figures[0], done[0], i, errors[0]), progress(figures[1], done[1], i, errors[1]));
        }
        ObjectNode o = n.putObject("outcomes");
        outcomes.forEach((label, seen) -> o.put(label, String.join(", ", seen)));
        if (!warnings.isEmpty()) {
            ArrayNode w = n.putArray("warnings");
            warnings.forEach(w::add);
        }
        for (int p = 0; p < 2; p++) {
            ObjectNode path = n.putObject(paths[p]);
            path.put("measure", p == 0 ? "JVM start to first result" : "wall, start to answer");
            path.put("pairsCompleted", done[p]);
            if (errors[p] != null) {
                path.put("error", errors[p]);
            }
            if (done[p] > 0) {
                long[] fa = java.util.Arrays.copyOf(figures[p][0], done[p]);
                long[] fb = java.util.Arrays.copyOf(figures[p][1], done[p]);
                summarise(path, fa, fb);
            }
        }
    }

    /** One cold run of one build on one path, after the scenario's reset; its figure in milliseconds. */
    private static long run(ColdScenario s, FunctionCode code, boolean direct, Path invoker, String label,
                            java.util.Map<String, Set<String>> outcomes) throws Exception {
        Path event = s.nextEvent();
        long ms;
        String result;
        if (direct) {
            Bench.DirectRun r = Bench.coldRunDirect(code, invoker, event, s.environment(), s.jvmOptions());
            ms = r.firstResultMs();
            result = r.result();
        } else {
            Bench.EmulatorRun r = Bench.coldRun(code, event, s.environment(), s.jvmOptions());
            ms = r.wallMs();
            result = r.result();
        }
        outcomes.computeIfAbsent(label, k -> new LinkedHashSet<>()).add(outcome(result));
        return ms;
    }

    private static String progress(long[][] figures, int done, int pair, String error) {
        if (done == pair + 1) {
            return "A " + figures[0][pair] + " ms, B " + figures[1][pair] + " ms";
        }
        return error != null ? "failed" : "-";
    }

    private static void summarise(ObjectNode n, long[] a, long[] b) {
        PairedRatios r = PairedRatios.of(a, b);
        n.put("pairs", r.pairs());
        n.put("medianAMs", r.medianA());
        n.put("medianBMs", r.medianB());
        n.put("ratioAtoB", round(r.ratioMedian()));
        n.put("ratioMin", round(r.ratioMin()));
        n.put("ratioMax", round(r.ratioMax()));
        ArrayNode ra = n.putArray("runsAMs");
        java.util.Arrays.stream(a).forEach(ra::add);
        ArrayNode rb = n.putArray("runsBMs");
        java.util.Arrays.stream(b).forEach(rb::add);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The function's outcome field, or the start of whatever it answered. */
    private static String outcome(String result) {
        try {
            var node = MAPPER.readTree(result);
            if (node.hasNonNull("outcome")) {
                return node.get("outcome").asText();
            }
        } catch (java.io.IOException e) {
            // not JSON: shown as it is
        }
        return result.length() > 120 ? result.substring(0, 120) + "..." : result;
    }

    private static void printTable(ObjectNode report) {
        System.err.println();
        System.err.println("A = " + report.get("A").asText() + "; B = " + report.get("B").asText()
                + "; ratio = median of the per-pair A/B [min-max]");
        System.err.printf("%-28s %-9s %5s %9s %9s %22s %12s %12s%n", "function", "path", "pairs", "A ms", "B ms",
                "ratio A/B [min-max]", "A size", "B size");
        for (var entry : report.get("functions").properties()) {
            String name = entry.getKey();
            ObjectNode f = (ObjectNode) entry.getValue();
            String sizeA = size(f, "A");
            String sizeB = size(f, "B");
            for (String path : List.of("direct", "emulator")) {
                ObjectNode p = (ObjectNode) f.get(path);
                if (p == null) {
                    continue;
                }
                if (p.has("pairs")) {
                    System.err.printf("%-28s %-9s %5d %9.0f %9.0f %22s %12s %12s%n", name, path, p.get("pairs").asInt(),
                            p.get("medianAMs").asDouble(), p.get("medianBMs").asDouble(),
                            String.format("%.3f [%.3f-%.3f]", p.get("ratioAtoB").asDouble(), p.get("ratioMin").asDouble(),
                                    p.get("ratioMax").asDouble()), sizeA, sizeB);
                } else {
                    System.err.printf("%-28s %-9s %5d %9s %9s %22s %12s %12s%n", name, path, 0, "-", "-", "-", sizeA, sizeB);
                }
                if (p.has("error")) {
                    System.err.println("    " + path + " error: " + p.get("error").asText());
                }
            }
            if (f.has("error")) {
                System.err.println("    error: " + f.get("error").asText());
            }
            if (f.has("outcomes")) {
                System.err.println("    outcomes: " + f.get("outcomes"));
            }
            if (f.has("warnings")) {
                System.err.println("    warnings: " + f.get("warnings").size() + " (first: " + f.get("warnings").get(0).asText() + ")");
            }
        }
    }

    private static String size(ObjectNode f, String build) {
        if (!f.has("package")) {
            return "-";
        }
        ObjectNode p = (ObjectNode) f.get("package").get(build);
        return String.format("%.1f MB/%d", p.get("bytes").asLong() / 1e6, p.get("jars").asInt());
    }
}
