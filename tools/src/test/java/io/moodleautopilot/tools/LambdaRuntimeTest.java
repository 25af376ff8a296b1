package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packaged functions run the way Lambda runs them (scripts/lambda_emulator.py: Lambda's runtime
 * interface emulator in front of the Java runtime interface client), and credentials arrive the way
 * Lambda delivers them: session variables on demand, only the container endpoint under SnapStart.
 */
@ExtendWith(MotoExtension.class)
class LambdaRuntimeTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path ROOT = CfnTemplate.repositoryRoot();
    private static final String PROBE = "io.moodleautopilot.tools.fixture.CredentialsProbe$";

    @TempDir
    Path tmp;

    record Run(int exit, JsonNode result, String output, long millis) {
    }

    private Run run(MotoServer moto, String handler, boolean snapStart) throws Exception {
        Path event = tmp.resolve("event.json");
        Files.writeString(event, "{}");
        List<String> cmd = new ArrayList<>(List.of("python3", ROOT.resolve("scripts/lambda_emulator.py").toString(),
                "--classes", ROOT.resolve("tools/target/test-classes").toString(),
                // The converger's package: the SDK, the project's core, the HTTP client it ships.
                "--lib", ROOT.resolve("functions/lifecycle-converger/target/lib").toString(),
                "--handler", handler + "::handleRequest", "--name", "probe", "--timeout", "20",
                "--env", "AWS_ENDPOINT_URL=" + moto.url()));
        if (snapStart) {
            cmd.add("--snapstart");
        }
        cmd.add(event.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("CALLER_ONLY_VARIABLE", "must not reach the function");
        long started = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        long millis = (System.nanoTime() - started) / 1_000_000;
        String[] lines = out.strip().split("\n");
        return new Run(exit, parse(lines[lines.length - 1], out), out, millis);
    }

    private static JsonNode parse(String line, String all) throws IOException {
        try {
            return MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IOException("the last line is not JSON; whole output:\n" + all, e);
        }
    }

    @Test
    void underSnapStartAFunctionThatPinsEnvironmentCredentialsFailsAsInAws(MotoServer moto) throws Exception {
        Run run = run(moto, PROBE + "Pinned", true);

        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.result().path("errorType").asText()).contains("SdkClientException");
        assertThat(run.result().path("errorMessage").asText()).contains("Unable to load credentials");
    }

    @Test
    void onDemandTheSamePinnedFunctionWorks(MotoServer moto) throws Exception {
        Run run = run(moto, PROBE + "Pinned", false);

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.result().path("accessKeyVariable").asBoolean()).isTrue();
        assertThat(run.result().path("containerEndpoint").asBoolean()).isFalse();
    }

    @Test
    void underSnapStartTheProjectsClientsSignWithTheContainerCredentials(MotoServer moto) throws Exception {
        moto.reset();
        Run run = run(moto, PROBE + "Production", true);

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.result().path("accessKeyVariable").asBoolean()).isFalse();
        assertThat(run.result().path("containerEndpoint").asBoolean()).isTrue();
        assertThat(run.result().path("parameters").isInt()).isTrue();
    }

    @Test
    void aFunctionThatFailsDuringInitAnswersNothingAndEndsPromptly(MotoServer moto) throws Exception {
        Run run = run(moto, PROBE + "BrokenInit", true);

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.result().path("errorType").asText()).isNotEmpty();
        assertThat(run.output()).contains("init failed on purpose");
        // No handler ran, so a custom resource backed by it never answers: only the resource's
        // ServiceTimeout ends CloudFormation's wait (TemplateRulesTest checks every one has one).
        assertThat(run.millis()).isLessThan(20_000);
    }

    @Test
    void theFunctionSeesLambdasOwnVariablesAndNothingOfTheCaller(MotoServer moto) throws Exception {
        Run run = run(moto, PROBE + "Production", false);

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.result().path("functionName").asText()).isEqualTo("probe");
        assertThat(run.result().path("memory").asText()).isEqualTo("512");
        assertThat(run.result().path("callerVariable").asBoolean()).isFalse();
        // The emulator prints Lambda's own START/END/REPORT lines around the function's output.
        assertThat(run.output()).contains("START RequestId:").contains("REPORT RequestId:");
    }
}
