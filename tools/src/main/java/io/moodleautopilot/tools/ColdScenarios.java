package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.moodleautopilot.converger.LifecycleConvergerHandler;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.detector.InstallDetectorHandler;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.DetectorStack;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.PresignedS3;
import io.moodleautopilot.testbed.ReactorStack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/** The four functions' cases for {@link BaselineBenchmark}, each on a stack of its own in one moto. */
final class ColdScenarios {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ColdScenarios() {
    }

    /** What every function gets locally: moto's endpoint, fixed credentials, the EMF's local mode. */
    static Map<String, String> localEnvironment(Map<String, String> stackEnvironment, String motoUrl, String function) {
        Map<String, String> env = new HashMap<>(stackEnvironment);
        env.putAll(Map.of("AWS_REGION", MotoServer.REGION, "AWS_ACCESS_KEY_ID", "bench",
                "AWS_SECRET_ACCESS_KEY", "bench", "AWS_ENDPOINT_URL", motoUrl, "AWS_EMF_ENVIRONMENT", "Local",
                "AWS_LAMBDA_FUNCTION_NAME", function));
        return env;
    }

    static Path write(Path dir, String name, byte[] event) {
        try {
            return Files.write(dir.resolve(name), event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The converger's first apply of the flag's Yes: before each run the flag goes to No and this
     * repository's handler, in the benchmark's JVM, converges the stack back to install mode (status,
     * group limits, alarm actions, pipeline); then the flag is set to Yes. So every run, A's and B's,
     * applies the same transition to production from the same state.
     */
    static final class Converger implements ColdScenario {
        private static final String FUNCTION = "moodle-lifecycle-converger";
        private final ConvergerStack stack;
        private final Map<String, String> env;
        private final LifecycleConvergerHandler reset;
        private final byte[] event;
        private final Path eventFile;

        Converger(ConvergerStack stack, String motoUrl, String gatewayUrl, Path root, Path dir) throws IOException {
            this.stack = stack;
            this.env = localEnvironment(stack.functionEnvironment(), motoUrl, FUNCTION);
            // Only the services whose operations moto lacks go through the gateway's stand-ins.
            env.put("AWS_ENDPOINT_URL_CLOUDWATCH", gatewayUrl);
            env.put("AWS_ENDPOINT_URL_CODEPIPELINE", gatewayUrl);
            this.reset = new LifecycleConvergerHandler(stack.functionEnvironment(), new AwsClients());
            this.event = Files.readAllBytes(root.resolve("events/parameter-store-change.json"));
            this.eventFile = write(dir, "converger-event.json", event);
        }

        @Override
        public String logicalId() {
            return ConvergerStack.FUNCTION;
        }

        @Override
        public String event() {
            return "events/parameter-store-change.json with the flag just set to Yes: the first apply of the "
                    + "transition to production";
        }

        @Override
        public String stateReset() {
            return "before each run: flag No, this build's handler (in the benchmark's JVM) converges back to "
                    + "install mode, then flag Yes";
        }

        @Override
        public Map<String, String> environment() {
            return env;
        }

        @Override
        public Path nextEvent() {
            stack.setFlag("No");
            Bench.quietly(reset, event, FUNCTION);
            if (!stack.limits().equals("1/1/1")) {
                throw new IllegalStateException("the converger's reset left the group at " + stack.limits()
                        + ", not install mode's 1/1/1");
            }
            stack.setFlag("Yes");
            return eventFile;
        }

        @Override
        public String checkAfterRun() {
            // Production's limits differ from install mode's 1/1/1: the run did apply the transition.
            return stack.limits().equals("1/1/1") ? "the group is still at install mode's 1/1/1 after the run" : null;
        }
    }

    /**
     * The detector's scheduled check against a real PostgreSQL with Moodle's tables, the site waiting
     * in the installer's site settings (the state it watches longest): read-only once the phase is
     * recorded, which a warm-up invocation in the benchmark's JVM does before the first run.
     */
    static final class Detector implements ColdScenario {
        private final Map<String, String> env;
        private final Path eventFile;

        Detector(DetectorStack stack, String motoUrl, Path root) {
            this.env = localEnvironment(stack.functionEnvironment(), motoUrl, "moodle-install-detector");
            this.eventFile = root.resolve("events/scheduled-install-detector.json");
            try {
                Bench.quietly(new InstallDetectorHandler(stack.functionEnvironment(), new AwsClients()),
                        Files.readAllBytes(eventFile), "moodle-install-detector");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String logicalId() {
            return DetectorStack.FUNCTION;
        }

        @Override
        public String event() {
            return "events/scheduled-install-detector.json; the site in SITE_SETTINGS_PENDING (PostgreSQL, Moodle's tables)";
        }

        @Override
        public String stateReset() {
            return "none needed: the check reads, and the phase is recorded by a warm-up before the first run";
        }

        @Override
        public Map<String, String> environment() {
            return env;
        }

        @Override
        public Path nextEvent() {
            return eventFile;
        }
    }

    /**
     * The reactor's first ALARM of a notify alarm in production: before each run the alarm goes to
     * OK and its ledger item is deleted, so each ALARM is a new transition that notifies.
     */
    static final class Reactor implements ColdScenario {
        private final ReactorStack stack;
        private final Map<String, String> env;
        private final String alarm;
        private final Path dir;
        private int run;

        Reactor(ReactorStack stack, String motoUrl, Path dir) {
            this.stack = stack;
            this.env = localEnvironment(stack.functionEnvironment(), motoUrl, "moodle-alarm-reactor");
            this.alarm = stack.createAlarm("alb-5xx");
            this.dir = dir;
        }

        @Override
        public String logicalId() {
            return ReactorStack.FUNCTION;
        }

        @Override
        public String event() {
            return "a first ALARM of the load balancer's 5xx alarm in production (claim, phase, group, publish)";
        }

        @Override
        public String stateReset() {
            return "before each run: the alarm to OK and its ledger item deleted, then the ALARM transition";
        }

        @Override
        public Map<String, String> environment() {
            return env;
        }

        @Override
        public Path nextEvent() {
            stack.transition(alarm, "OK", "calm " + run);
            try (DynamoDbClient ddb = AwsCallRecorder.unrecorded(DynamoDbClient.builder())) {
                ddb.deleteItem(r -> r.tableName(stack.table).key(Map.of("alarmName", AttributeValue.fromS(alarm))));
            }
            return write(dir, "reactor-event.json", stack.transition(alarm, "ALARM", "busy " + run++));
        }
    }

    /**
     * MoodleSource's Delete (the stack's delete): it removes every version of the staged source object
     * and answers CloudFormation through the pre-signed response URL. Both builds serve it, and it
     * needs no Moodle download. Before each run one version of the object is put back, so each run
     * deletes one version and answers once; the answer goes over TLS to a receiver in this JVM that
     * holds the certificate for CloudFormation's response bucket ({@link PresignedS3}), which the
     * function's JVM trusts through its trust store and reaches through the https proxy.
     */
    static final class Source implements ColdScenario, AutoCloseable {
        static final String FUNCTION = "MoodleSourceFunction";
        private final Map<String, String> env;
        private final S3Client s3 = AwsCallRecorder.unrecorded(S3Client.builder());
        private final String bucket;
        private final String key;
        private final Path eventFile;
        private final HttpsServer receiver;
        private final List<String> answers = new CopyOnWriteArrayList<>();
        private final PresignedS3.Material tls;

        Source(String stackName, String motoUrl, Path root, Path dir) throws IOException {
            this.bucket = stackName + "-sourcebucket-1a2b3c4d";
            String artifacts = stackName + "-artifactbucket-5e6f7a8b";
            CfnTemplate template = CfnTemplate.load();
            CfnTemplate.Resolver resolver = new CfnTemplate.Resolver(template, stackName, Map.of(), Map.of(
                    "SourceBucket", bucket, "SourceBucket.Arn", "arn:aws:s3:::" + bucket,
                    "ArtifactBucket", artifacts, "ArtifactBucket.Arn", "arn:aws:s3:::" + artifacts,
                    "MoodleSourceFunctionAliaslive", "arn:aws:lambda:us-east-1:123456789012:function:" + stackName
                            + "-moodle-source:live"));
            Map<String, String> stackEnv = template.functionEnvironment(FUNCTION, resolver);
            this.key = stackEnv.get("SOURCE_OBJECT_KEY");
            this.env = localEnvironment(stackEnv, motoUrl, stackName + "-moodle-source");
            s3.createBucket(r -> r.bucket(bucket));
            s3.putBucketVersioning(r -> r.bucket(bucket).versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));

            this.tls = PresignedS3.install();
            receiver = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            receiver.setHttpsConfigurator(new HttpsConfigurator(PresignedS3.serverContext()));
            receiver.createContext("/", exchange -> {
                answers.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(200, -1); // as S3 answers a PUT
                exchange.close();
            });
            receiver.start();

            ObjectNode event = (ObjectNode) MAPPER.readTree(root.resolve("events/cloudformation-moodle-source-create.json").toFile());
            event.put("RequestType", "Delete");
            event.put("PhysicalResourceId", stackName + "-moodle-source");
            event.put("ResponseURL", PresignedS3.responseUrl(receiver.getAddress().getPort(), "/cfn-response"));
            this.eventFile = write(dir, "source-event.json", MAPPER.writeValueAsBytes(event));
        }

        @Override
        public String logicalId() {
            return FUNCTION;
        }

        @Override
        public String event() {
            return "the Delete of the MoodleSource resource (events/cloudformation-moodle-source-create.json as a "
                    + "Delete): removes the staged object's versions, answers through the pre-signed response URL";
        }

        @Override
        public String stateReset() {
            return "before each run: one version of the source object put back";
        }

        @Override
        public Map<String, String> environment() {
            return env;
        }

        @Override
        public List<String> jvmOptions() {
            return List.of("-Djavax.net.ssl.trustStore=" + tls.trustStore(),
                    "-Djavax.net.ssl.trustStorePassword=" + PresignedS3.PASSWORD, "-Djavax.net.ssl.trustStoreType=PKCS12",
                    "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=" + tls.tunnelPort());
        }

        @Override
        public Path nextEvent() {
            answers.clear();
            s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("a staged release"));
            return eventFile;
        }

        @Override
        public String checkAfterRun() {
            if (answers.size() != 1) {
                return answers.size() + " answers at the response URL, not 1";
            }
            try {
                JsonNode answer = MAPPER.readTree(answers.get(0));
                if (!"SUCCESS".equals(answer.path("Status").asText())) {
                    return "the answer was " + answer;
                }
            } catch (IOException e) {
                return "the answer is not JSON: " + answers.get(0);
            }
            var left = s3.listObjectVersions(r -> r.bucket(bucket).prefix(key)).versions();
            return left.isEmpty() ? null : left.size() + " version(s) of the source object left";
        }

        @Override
        public void close() throws IOException {
            receiver.stop(0);
            s3.close();
            // The certificates' directory: the JVM's exit would not remove it, it is not empty.
            try (var files = Files.walk(tls.dir())) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
