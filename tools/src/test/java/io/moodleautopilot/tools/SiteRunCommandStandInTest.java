package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.SiteRunCommandStandIn;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;

/**
 * The local stack's Run Command on the site: SendCommand reaches moto (its record, its CommandId),
 * the document moto holds runs once through the runner with its parameters, and GetCommandInvocation
 * answers the run's real status, exit code and output, through the SDK as the converger calls it.
 * The runner here is a small script that records what it got; scripts/local_site.py's side (the
 * document's script) is tested through Python below.
 */
@ExtendWith(MotoExtension.class)
class SiteRunCommandStandInTest {
    private static final Path ROOT = CfnTemplate.repositoryRoot();
    private static final String DOCUMENT = """
            {"schemaVersion": "2.2", "description": "test",
             "parameters": {"Payload": {"type": "String", "allowedPattern": "^[A-Za-z0-9+/]*={0,2}$"}},
             "mainSteps": [{"action": "aws:runShellScript", "name": "apply",
               "inputs": {"runCommand": ["bash /opt/moodle-autopilot/bundle/scripts/apply.sh '{{ Payload }}'"]}}]}
            """;

    @TempDir
    Path tmp;
    private AwsGateway gateway;
    private SsmClient ssm;

    private void start(MotoServer moto, String runnerScript) throws Exception {
        Path runner = Files.writeString(tmp.resolve("runner.sh"), runnerScript);
        gateway = new AwsGateway(moto.url(), List.of(new SiteRunCommandStandIn(moto.url(),
                List.of("bash", runner.toString()), Map.of("RUN_DIR", tmp.toString()))));
        ssm = SsmClient.builder().endpointOverride(URI.create(gateway.url())).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .build();
        ssm.createDocument(r -> r.name("site-doc").documentType("Command").documentFormat("JSON").content(DOCUMENT));
    }

    @AfterEach
    void stop() {
        if (ssm != null) {
            ssm.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private String send(String payload) {
        return ssm.sendCommand(r -> r.documentName("site-doc").instanceIds("i-0123456789abcdef0")
                .parameters(Map.of("Payload", List.of(payload)))).command().commandId();
    }

    private GetCommandInvocationResponse waitEnded(String commandId) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            GetCommandInvocationResponse r = ssm.getCommandInvocation(x -> x.commandId(commandId).instanceId("i-0123456789abcdef0"));
            if (!List.of("Pending", "InProgress").contains(r.statusAsString()) || Instant.now().isAfter(deadline)) {
                return r;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theDocumentRunsOnceWithItsParametersAndTheRunIsTheInvocation(MotoServer moto) throws Exception {
        start(moto, """
                cat >"$RUN_DIR/job.json"
                echo "ran $$" >>"$RUN_DIR/runs.log"
                echo "applying"
                echo '{"result": "done"}'
                echo "a warning" >&2
                """);

        String id = send("eyJhIjoxfQ==");
        GetCommandInvocationResponse r = waitEnded(id);

        assertThat(r.statusAsString()).isEqualTo("Success");
        assertThat(r.responseCode()).isZero();
        assertThat(r.standardOutputContent()).isEqualTo("applying\n{\"result\": \"done\"}\n");
        assertThat(r.standardErrorContent()).isEqualTo("a warning\n");
        assertThat(r.executionStartDateTime()).isNotBlank();
        // moto recorded the command (SendCommand went through to it) ...
        assertThat(ssm.listCommands(x -> x.commandId(id)).commands()).singleElement()
                .satisfies(c -> assertThat(c.documentName()).isEqualTo("site-doc"));
        // ... and the runner got the document moto holds and the command's parameters.
        String job = Files.readString(tmp.resolve("job.json"));
        assertThat(job).contains("aws:runShellScript", "{{ Payload }}", "\"Payload\":[\"eyJhIjoxfQ==\"]");
        // Asked again, the same run answers: the document ran once.
        waitEnded(id);
        assertThat(Files.readAllLines(tmp.resolve("runs.log"))).hasSize(1);
    }

    @Test
    void aFailingRunIsFailedWithItsExitCodeAndSsmsOutputCaps(MotoServer moto) throws Exception {
        start(moto, """
                cat >/dev/null
                head -c 30000 /dev/zero | tr '\\0' 'x'
                head -c 9000 /dev/zero | tr '\\0' 'e' >&2
                exit 3
                """);

        GetCommandInvocationResponse r = waitEnded(send("AAAA"));

        assertThat(r.statusAsString()).isEqualTo("Failed");
        assertThat(r.responseCode()).isEqualTo(3);
        assertThat(r.standardOutputContent()).hasSize(24_000);
        assertThat(r.standardErrorContent()).hasSize(8_000);
    }

    @Test
    void aRunningCommandIsInProgressUntilItEnds(MotoServer moto) throws Exception {
        start(moto, """
                cat >/dev/null
                while [ ! -f "$RUN_DIR/go" ]; do sleep 0.05; done
                echo finished
                """);

        String id = send("AAAA");
        Thread.sleep(500);
        GetCommandInvocationResponse running = ssm.getCommandInvocation(x -> x.commandId(id).instanceId("i-0123456789abcdef0"));
        Files.writeString(tmp.resolve("go"), "");
        GetCommandInvocationResponse ended = waitEnded(id);

        assertThat(running.statusAsString()).isEqualTo("InProgress");
        assertThat(ended.statusAsString()).isEqualTo("Success");
        assertThat(ended.standardOutputContent()).isEqualTo("finished\n");
    }

    @Test
    void anUnknownCommandDoesNotExist(MotoServer moto) throws Exception {
        start(moto, "cat >/dev/null\n");

        assertThatThrownBy(() -> ssm.getCommandInvocation(x -> x.commandId("0b2c7a4e-1111-2222-3333-444455556666")
                .instanceId("i-0123456789abcdef0"))).isInstanceOf(InvocationDoesNotExistException.class);
    }

    // --- scripts/local_site.py: the script a document becomes on the site ---------------------------

    private record Py(int exit, String out) {
    }

    private static Py documentScript(String content, String parameters) throws Exception {
        Path python = ROOT.resolve(".venv/bin/python");
        ProcessBuilder pb = new ProcessBuilder(python.toString(), "-c", """
                import json, sys
                sys.path.insert(0, sys.argv[1])
                import local_site
                try:
                    sys.stdout.write(local_site.document_script(json.loads(sys.argv[2]), json.loads(sys.argv[3])))
                except local_site.SiteError as e:
                    print("refused: " + str(e)); sys.exit(2)
                """, ROOT.resolve("scripts").toString(), content, parameters).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Py(p.waitFor(), out);
    }

    @Test
    void theParameterIsSubstitutedAndTheBundleIsTheCheckoutsOne() throws Exception {
        Py r = documentScript(DOCUMENT, "{\"Payload\": [\"eyJhIjoxfQ==\"]}");

        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).isEqualTo("bash " + ROOT.resolve("bundle/files") + "/scripts/apply.sh 'eyJhIjoxfQ=='\n");
    }

    /** SSM refuses a value outside the allowedPattern at SendCommand; here the site refuses to run it. */
    @Test
    void aValueOutsideTheAllowedPatternNeverReachesTheShell() throws Exception {
        Py r = documentScript(DOCUMENT, "{\"Payload\": [\"x'; touch /tmp/owned; '\"]}");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).startsWith("refused: the value of Payload does not match the document's allowedPattern");
    }

    @Test
    void onlyShellScriptStepsRun() throws Exception {
        Py r = documentScript("{\"mainSteps\": [{\"action\": \"aws:runPowerShellScript\", \"name\": \"p\","
                + " \"inputs\": {\"runCommand\": [\"dir\"]}}]}", "{}");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("only aws:runShellScript runs here");
    }
}
