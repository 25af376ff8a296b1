package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.moodleautopilot.testbed.CfnTemplate;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/local_stack.py with moto or the gateway gone (probe case 4.3): one line that says what is
 * unreachable and what to run, not a botocore traceback. And its result line stays one line. The runner is copied into a scratch root so
 * its .local/ state is this test's, never the checkout's.
 */
class LocalRunnerUnreachableTest {
    private static final Path ROOT = CfnTemplate.repositoryRoot();

    @TempDir
    Path tmp;

    private record Run(int exit, String output) {
    }

    private Run invoke(String gateway, String moto) throws Exception {
        Path python = ROOT.resolve(".venv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(python), "no .venv with boto3");
        Path scripts = Files.createDirectories(tmp.resolve("scripts"));
        for (String f : List.of("local_stack.py", "cfn_yaml.py", "lambda_emulator.py", "local_mail.py")) {
            Files.copy(ROOT.resolve("scripts").resolve(f), scripts.resolve(f));
        }
        Path state = Files.createDirectories(tmp.resolve(".local"));
        Files.writeString(state.resolve("state.json"),
                "{\"gateway\": \"" + gateway + "\", \"moto\": \"" + moto + "\", \"params\": {}, \"names\": {}}");
        Files.writeString(state.resolve("translated.json"), "{\"Resources\": {\"F\": {\"Type\": \"AWS::Lambda::Function\","
                + " \"Properties\": {\"Handler\": \"x::handleRequest\"}}}}");
        Path event = Files.writeString(tmp.resolve("event.json"), "{}");
        ProcessBuilder pb = new ProcessBuilder(python.toString(), scripts.resolve("local_stack.py").toString(),
                "invoke", "F", event.toString()).redirectErrorStream(true);
        pb.environment().put("AWS_MAX_ATTEMPTS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    private static String closedPortUrl() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void nothingListeningIsOneLineNamingTheGateway() throws Exception {
        String down = closedPortUrl();

        Run r = invoke(down, down);

        assertThat(r.exit()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).doesNotContain("Traceback")
                .isEqualTo("error: the local stack is not reachable at " + down
                        + " (EndpointConnectionError); run scripts/local up\n");
    }

    /** The probe's case: the gateway still answers (500, its proxy failing) while moto is gone. */
    @Test
    void theGatewayUpWithMotoGoneNamesMoto() throws Exception {
        HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/", ex -> {
            byte[] body = "Network failure trying to proxy request".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(500, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        gateway.start();
        try {
            String moto = closedPortUrl();

            Run r = invoke("http://127.0.0.1:" + gateway.getAddress().getPort(), moto);

            assertThat(r.exit()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).doesNotContain("Traceback")
                    .startsWith("error: the local stack is not reachable at " + moto + " (")
                    .endsWith("); run scripts/local up\n");
            assertThat(r.output().lines()).hasSize(1);
        } finally {
            gateway.stop(0);
        }
    }

    /**
     * What `scripts/local invoke` prints as the result is one line that parses as the same JSON, whatever
     * the function echoed (probe case 1.7: a raw U+2028 had split it for a line-by-line reader).
     */
    @Test
    void theResultLineNeverSplitsAndStaysTheSameJson() throws Exception {
        Path python = ROOT.resolve(".venv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(python), "no .venv with boto3");
        String script = String.join("\n",
                "import json, sys",
                "sys.path.insert(0, sys.argv[1])",
                "import local_stack",
                "v = {'message': 'a\\u2028b\\u2029c\\x85d\\ne\\rf\\x0bg\\x1ch'}",
                "line = local_stack.safe_line(json.dumps(v, ensure_ascii=False, indent=1))",
                "assert len(line.splitlines()) == 1, repr(line)",
                "assert json.loads(line) == v, repr(line)",
                "print('one line')");
        Process p = new ProcessBuilder(python.toString(), "-c", script, ROOT.resolve("scripts").toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).isEqualTo("one line\n");
    }
}
