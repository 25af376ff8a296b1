package io.moodleautopilot.core.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Ports;
import java.util.function.Supplier;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.codepipeline.model.PipelineNotFoundException;

public final class CodePipelineStarter implements Ports.Pipeline {
    private final Supplier<CodePipelineClient> codePipeline;
    private final String pipelineName;

    public CodePipelineStarter(Supplier<CodePipelineClient> codePipeline, String pipelineName) {
        this.codePipeline = codePipeline;
        this.pipelineName = pipelineName;
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
