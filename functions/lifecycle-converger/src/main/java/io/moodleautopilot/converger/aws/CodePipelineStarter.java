package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Ports;
import java.util.function.Supplier;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.codepipeline.model.PipelineNotFoundException;
import software.amazon.awssdk.services.codepipeline.model.StageNotFoundException;
import software.amazon.awssdk.services.codepipeline.model.StageTransitionType;

public final class CodePipelineStarter implements Ports.Pipeline {
    /** The stage template.yaml's DeploymentPipeline creates with its inbound transition disabled. */
    public static final String DEPLOY_STAGE = "Deploy";

    private final Supplier<CodePipelineClient> codePipeline;
    private final String pipelineName;

    public CodePipelineStarter(Supplier<CodePipelineClient> codePipeline, String pipelineName) {
        this.codePipeline = codePipeline;
        this.pipelineName = pipelineName;
    }

    @Override
    public void verify() {
        boolean hasDeploy;
        try {
            hasDeploy = codePipeline.get().getPipeline(r -> r.name(pipelineName)).pipeline().stages().stream()
                    .anyMatch(s -> s.name().equals(DEPLOY_STAGE));
        } catch (PipelineNotFoundException e) {
            throw new ConfigurationException("pipeline '" + pipelineName + "' does not exist", e);
        }
        if (!hasDeploy) {
            throw new ConfigurationException("pipeline '" + pipelineName + "' has no stage " + DEPLOY_STAGE);
        }
    }

    @Override
    public void openDeployStage() {
        try {
            codePipeline.get().enableStageTransition(r -> r.pipelineName(pipelineName).stageName(DEPLOY_STAGE)
                    .transitionType(StageTransitionType.INBOUND));
        } catch (PipelineNotFoundException e) {
            throw new ConfigurationException("pipeline '" + pipelineName + "' does not exist", e);
        } catch (StageNotFoundException e) {
            throw new ConfigurationException("pipeline '" + pipelineName + "' has no stage " + DEPLOY_STAGE, e);
        }
    }

    @Override
    public String start(String clientRequestToken) {
        try {
            return codePipeline.get().startPipelineExecution(r -> r.name(pipelineName)
                    .clientRequestToken(clientRequestToken)).pipelineExecutionId();
        } catch (PipelineNotFoundException e) {
            throw new ConfigurationException("pipeline '" + pipelineName + "' does not exist", e);
        }
    }
}
