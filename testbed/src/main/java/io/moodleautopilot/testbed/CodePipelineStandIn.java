package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.io.IOException;
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
public final class CodePipelineStandIn implements StandIn {
    static final String TARGET = "CodePipeline_20150709.StartPipelineExecution";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Set<String> pipelines = ConcurrentHashMap.newKeySet();
    private final Map<String, String> executionByToken = new ConcurrentHashMap<>();
    private final List<String> executions = new CopyOnWriteArrayList<>();

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
    public boolean handles(String operation, Request request) {
        return TARGET.equals(request.getHeader("X-Amz-Target"));
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        JsonNode body;
        try {
            body = MAPPER.readTree(request.getBodyAsString());
        } catch (IOException e) {
            return StandIn.json(400, "{\"__type\":\"SerializationException\",\"message\":\"request body is not JSON\"}");
        }
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
