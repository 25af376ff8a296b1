package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Covers a moto 5.2.1 gap: its CodePipeline StartPipelineExecution answers HTTP 500, and it has no
 * stage transitions. This stand-in speaks CodePipeline's JSON 1.1 protocol for the two operations
 * the converger calls ({@code X-Amz-Target: CodePipeline_20150709.StartPipelineExecution} and
 * {@code CodePipeline_20150709.EnableStageTransition}), with what the converger relies on: the
 * same clientRequestToken returns the same execution id; an unknown pipeline gets
 * {@code PipelineNotFoundException}, an unknown stage {@code StageNotFoundException}; enabling an
 * enabled transition succeeds (HTTP 200 with an empty body, as the API reference describes).
 *
 * <p>A pipeline is created as template.yaml's DeploymentPipeline is: stages {@link #STAGES}, the
 * inbound transition of {@link #DISABLED_ON_CREATION} disabled. An execution started while that
 * transition is disabled stops before the stage; enabling it lets the latest held execution
 * through (CodePipeline guide, "Working with stage transitions"). {@link #calls()} keeps every
 * accepted call in order, so a test can see that the transition was enabled before a start.
 */
public final class CodePipelineStandIn extends JsonTargetStandIn {
    static final String TARGET = "CodePipeline_20150709.StartPipelineExecution";
    static final String ENABLE_TARGET = "CodePipeline_20150709.EnableStageTransition";
    static final String GET_TARGET = "CodePipeline_20150709.GetPipeline";
    /** The stages of template.yaml's DeploymentPipeline (TemplatePipelineTest holds them equal). */
    public static final List<String> STAGES = List.of("Source", "Deploy");
    /** The stage whose inbound transition template.yaml creates disabled. */
    public static final String DISABLED_ON_CREATION = "Deploy";

    /** Per pipeline: the stages whose inbound transition is disabled. */
    private final Map<String, Set<String>> disabledInbound = new ConcurrentHashMap<>();
    private final Map<String, String> executionByToken = new ConcurrentHashMap<>();
    private final List<String> executions = new CopyOnWriteArrayList<>();
    private final List<String> held = new CopyOnWriteArrayList<>();
    private final List<String> deployed = new CopyOnWriteArrayList<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();

    public CodePipelineStandIn() {
        super(TARGET, ENABLE_TARGET, GET_TARGET);
    }

    public void createPipeline(String name) {
        Set<String> disabled = ConcurrentHashMap.newKeySet();
        disabled.add(DISABLED_ON_CREATION);
        disabledInbound.put(name, disabled);
    }

    /**
     * Disables the Deploy stage's inbound transition again, as a stack update that applies the
     * template's DisableInboundStageTransitions to the pipeline may.
     */
    public void closeDeployStage(String pipeline) {
        disabledInbound.get(pipeline).add(DISABLED_ON_CREATION);
    }

    /** Executions started, in order, as "pipeline:executionId". */
    public List<String> executions() {
        return List.copyOf(executions);
    }

    /** Executions that went into the Deploy stage, in order, as "pipeline:executionId". */
    public List<String> deployedExecutions() {
        return List.copyOf(deployed);
    }

    /** Whether executions of this pipeline may enter the Deploy stage. */
    public boolean deployStageOpen(String pipeline) {
        Set<String> disabled = disabledInbound.get(pipeline);
        return disabled != null && !disabled.contains(DISABLED_ON_CREATION);
    }

    /**
     * Every accepted call, in order: "EnableStageTransition pipeline/stage/type" and
     * "StartPipelineExecution pipeline".
     */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    public void reset() {
        disabledInbound.clear();
        executionByToken.clear();
        executions.clear();
        held.clear();
        deployed.clear();
        calls.clear();
    }

    @Override
    ResponseDefinition answer(String operation, JsonNode body) {
        return switch (operation) {
            case "EnableStageTransition" -> enable(body);
            case "GetPipeline" -> describe(body);
            default -> start(body);
        };
    }

    private ResponseDefinition start(JsonNode body) {
        String name = body.path("name").asText("");
        if (!disabledInbound.containsKey(name)) {
            return pipelineNotFound(name);
        }
        calls.add("StartPipelineExecution " + name);
        String token = body.path("clientRequestToken").asText(UUID.randomUUID().toString());
        String id = executionByToken.computeIfAbsent(name + "\n" + token, k -> {
            String fresh = UUID.randomUUID().toString();
            String execution = name + ":" + fresh;
            executions.add(execution);
            (deployStageOpen(name) ? deployed : held).add(execution);
            return fresh;
        });
        return StandIn.json(200, "{\"pipelineExecutionId\":\"" + id + "\"}");
    }

    /** GetPipeline: the declaration's name and stages (the rest of the structure is not read). */
    private ResponseDefinition describe(JsonNode body) {
        String name = body.path("name").asText("");
        if (!disabledInbound.containsKey(name)) {
            return pipelineNotFound(name);
        }
        calls.add("GetPipeline " + name);
        var out = MAPPER.createObjectNode();
        var pipeline = out.putObject("pipeline").put("name", name).put("version", 1);
        var stages = pipeline.putArray("stages");
        STAGES.forEach(s -> stages.addObject().put("name", s).putArray("actions"));
        out.putObject("metadata").put("pipelineArn", "arn:aws:codepipeline:" + MotoServer.REGION + ":"
                + MotoServer.ACCOUNT + ":" + name);
        return StandIn.json(200, out.toString());
    }

    private ResponseDefinition enable(JsonNode body) {
        String name = body.path("pipelineName").asText("");
        String stage = body.path("stageName").asText("");
        String type = body.path("transitionType").asText("");
        if (!type.equals("Inbound") && !type.equals("Outbound")) {
            return StandIn.json(400, "{\"__type\":\"ValidationException\",\"message\":\"1 validation error detected: "
                    + "Value at 'transitionType' failed to satisfy constraint: Member must satisfy enum value set: "
                    + "[Inbound, Outbound]\"}");
        }
        Set<String> disabled = disabledInbound.get(name);
        if (disabled == null) {
            return pipelineNotFound(name);
        }
        if (!STAGES.contains(stage)) {
            return StandIn.json(400, "{\"__type\":\"StageNotFoundException\",\"message\":\"Stage '"
                    + stage.replace("\"", "") + "' does not exist in pipeline '" + name + "'\"}");
        }
        calls.add("EnableStageTransition " + name + "/" + stage + "/" + type);
        if (type.equals("Inbound") && disabled.remove(stage) && stage.equals(DISABLED_ON_CREATION)) {
            // The latest execution held at the transition runs through the stage.
            List<String> mine = new ArrayList<>(held.stream().filter(e -> e.startsWith(name + ":")).toList());
            if (!mine.isEmpty()) {
                String latest = mine.get(mine.size() - 1);
                held.removeAll(mine);
                deployed.add(latest);
            }
        }
        return StandIn.json(200, "");
    }

    private static ResponseDefinition pipelineNotFound(String name) {
        return StandIn.json(400, "{\"__type\":\"PipelineNotFoundException\",\"message\":\"Account '" + MotoServer.ACCOUNT
                + "' does not have a pipeline with name '" + name.replace("\"", "") + "'\"}");
    }
}
