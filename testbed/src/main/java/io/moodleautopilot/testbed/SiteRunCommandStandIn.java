package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Covers a moto 5.2.1 gap for the local stack: Run Command runs nothing on an instance (moto records
 * SendCommand and answers GetCommandInvocation Success with empty output). Here the local site
 * (scripts/local_site.py, a real Moodle web tier) stands in for every instance of the web group:
 * SendCommand goes to moto as before (its CommandId, its record), and then the command's document,
 * as moto holds it (GetDocument), runs once on the site through {@code runner} with the command's
 * parameters on stdin; GetCommandInvocation (SSM's JSON 1.1 protocol) answers for any instance with
 * that run's real status, exit code and output, capped as SSM caps them (24,000 characters of
 * stdout, 8,000 of stderr).
 *
 * <p>Gaps it leaves, by design: one run per command however many instances are targeted (the site
 * is one machine), commands run one at a time in the order sent, and no document parameter is
 * validated by SSM itself here (the runner checks each against the document's allowedPattern, as
 * SSM does at SendCommand).
 */
public final class SiteRunCommandStandIn extends JsonTargetStandIn {
    static final int STDOUT_LIMIT = 24_000;
    static final int STDERR_LIMIT = 8_000;

    private record Run(String status, Integer code, String stdout, String stderr, Instant started, Instant ended) {
    }

    private final String moto;
    private final List<String> runner;
    private final Map<String, String> runnerEnv;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    // One at a time: the site is one machine, and two Moodle CLI runs at once would only contend.
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "site-run-command");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param moto      moto_server's URL (SendCommand and GetDocument go there)
     * @param runner    the command that runs a document on the site: reads {"content", "parameters"}
     *                  as JSON on stdin, prints the commands' output, exits with their code
     * @param runnerEnv added to the runner's environment (the stack's name, the local endpoint)
     */
    public SiteRunCommandStandIn(String moto, List<String> runner, Map<String, String> runnerEnv) {
        super("AmazonSSM.SendCommand", RunCommandStandIn.TARGET);
        this.moto = moto;
        this.runner = List.copyOf(runner);
        this.runnerEnv = Map.copyOf(runnerEnv);
    }

    @Override
    ResponseDefinition answer(String operation, JsonNode in) {
        throw new UnsupportedOperationException("answered with the request: see answer(String, Request)");
    }

    @Override
    ResponseDefinition answer(String operation, JsonNode in, Request request) {
        return operation.equals("SendCommand") ? send(in, request) : invocation(in);
    }

    private ResponseDefinition send(JsonNode in, Request request) {
        HttpResponse<String> sent;
        try {
            HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(moto + "/"))
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(request.getBodyAsString()));
            for (HttpHeader h : request.getHeaders().all()) {
                if (List.of("content-type", "x-amz-target", "authorization", "x-amz-date").contains(h.key().toLowerCase())) {
                    forward.header(h.key(), h.firstValue());
                }
            }
            sent = http.send(forward.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            return StandIn.json(500, "{\"__type\":\"InternalServerError\",\"message\":\"moto did not answer\"}");
        }
        if (sent.statusCode() != 200) {
            return StandIn.json(sent.statusCode(), sent.body());
        }
        try {
            String commandId = MAPPER.readTree(sent.body()).path("Command").path("CommandId").asText();
            String content = document(in.path("DocumentName").asText());
            ObjectNode job = MAPPER.createObjectNode();
            job.put("content", content);
            job.set("parameters", in.path("Parameters"));
            runs.put(commandId, new Run("Pending", null, "", "", null, null));
            worker.submit(() -> execute(commandId, job.toString()));
        } catch (IOException | InterruptedException e) {
            return StandIn.json(500, "{\"__type\":\"InternalServerError\",\"message\":\"the document could not be read: "
                    + e.getMessage().replace("\"", "'") + "\"}");
        }
        return StandIn.json(200, sent.body());
    }

    private String document(String name) throws IOException, InterruptedException {
        HttpResponse<String> got = http.send(HttpRequest.newBuilder(URI.create(moto + "/"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "AmazonSSM.GetDocument")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ssm/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(MAPPER.createObjectNode().put("Name", name).toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (got.statusCode() != 200) {
            throw new IOException("GetDocument " + name + " answered " + got.statusCode());
        }
        // SSM answers Content as a string of JSON; moto 5.2.1 answers a document that CloudFormation
        // created with the content as a JSON object: either way the runner gets JSON text.
        JsonNode content = MAPPER.readTree(got.body()).path("Content");
        return content.isTextual() ? content.asText() : content.toString();
    }

    private void execute(String commandId, String job) {
        Instant started = Instant.now();
        runs.put(commandId, new Run("InProgress", null, "", "", started, null));
        try {
            ProcessBuilder pb = new ProcessBuilder(runner);
            pb.environment().putAll(runnerEnv);
            java.nio.file.Path out = java.nio.file.Files.createTempFile("run-command-", ".out");
            java.nio.file.Path err = java.nio.file.Files.createTempFile("run-command-", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            p.getOutputStream().write(job.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            int code = p.waitFor();
            String stdout = first(java.nio.file.Files.readString(out), STDOUT_LIMIT);
            String stderr = first(java.nio.file.Files.readString(err), STDERR_LIMIT);
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
            runs.put(commandId, new Run(code == 0 ? "Success" : "Failed", code, stdout, stderr, started, Instant.now()));
        } catch (IOException | InterruptedException e) {
            runs.put(commandId, new Run("Failed", -1, "", "the local site could not run the document: " + e.getMessage(),
                    started, Instant.now()));
        }
    }

    /** GetCommandInvocation gives the first characters of a long output (as SSM documents it). */
    private static String first(String s, int limit) {
        return s.length() <= limit ? s : s.substring(0, limit);
    }

    private ResponseDefinition invocation(JsonNode in) {
        String commandId = in.path("CommandId").asText();
        Run run = runs.get(commandId);
        if (run == null) {
            return StandIn.json(400, "{\"__type\":\"InvocationDoesNotExist\"}");
        }
        ObjectNode out = MAPPER.createObjectNode()
                .put("CommandId", commandId)
                .put("InstanceId", in.path("InstanceId").asText())
                .put("Status", run.status())
                .put("StatusDetails", run.status())
                .put("ResponseCode", run.code() == null ? -1 : run.code())
                .put("StandardOutputContent", run.stdout())
                .put("StandardErrorContent", run.stderr());
        if (run.started() != null) {
            out.put("ExecutionStartDateTime", run.started().toString());
        }
        if (run.ended() != null) {
            out.put("ExecutionEndDateTime", run.ended().toString());
        }
        return StandIn.json(200, out.toString());
    }
}
