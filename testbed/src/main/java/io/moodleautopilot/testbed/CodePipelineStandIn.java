package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Covers a moto 5.2.1 gap: its CodePipeline StartPipelineExecution answers HTTP 500. This stand-in
 * speaks CodePipeline's JSON 1.1 protocol for that operation
 * ({@code X-Amz-Target: CodePipeline_20150709.StartPipelineExecution}), including the idempotency
 * the converger relies on: the same clientRequestToken returns the same execution id, and an
 * unknown pipeline gets {@code PipelineNotFoundException}.
 */
public final class CodePipelineStandIn extends JsonTargetStandIn {
    static final String TARGET = "CodePipeline_20150709.StartPipelineExecution";

    private final Set<String> pipelines = ConcurrentHashMap.newKeySet();
    private final Map<String, String> executionByToken = new ConcurrentHashMap<>();
    private final List<String> executions = new CopyOnWriteArrayList<>();

    public CodePipelineStandIn() {
        super(TARGET);
    }

    public void createPipeline(String name) {
        pipelines.add(name);
    }

    /** Executions started, in order, as "pipeline:executionId". */
    public List<String> executions() {
        return List.copyOf(executions);
    }

    public void reset() {
        pipelines.clear();
        executionByToken.clear();
        executions.clear();
    }

    @Override
    ResponseDefinition answer(JsonNode body) {
        String name = body.path("name").asText("");
        if (!pipelines.contains(name)) {
            return StandIn.json(400, "{\"__type\":\"PipelineNotFoundException\",\"message\":\"Account '" + MotoServer.ACCOUNT
                    + "' does not have a pipeline with name '" + name.replace("\"", "") + "'\"}");
        }
        String token = body.path("clientRequestToken").asText(UUID.randomUUID().toString());
        String id = executionByToken.computeIfAbsent(name + "\n" + token, k -> {
            String fresh = UUID.randomUUID().toString();
            executions.add(name + ":" + fresh);
            return fresh;
        });
        return StandIn.json(200, "{\"pipelineExecutionId\":\"" + id + "\"}");
    }

}
