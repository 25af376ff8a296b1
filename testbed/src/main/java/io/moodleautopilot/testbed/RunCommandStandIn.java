package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;

/**
 * Covers a moto 5.2.1 gap: Run Command runs nothing on an instance, and GetCommandInvocation answers
 * Success with empty output. This stand-in answers GetCommandInvocation (SSM's JSON 1.1 protocol,
 * {@code X-Amz-Target: AmazonSSM.GetCommandInvocation}) as an instance that ran the stack's Moodle
 * configuration scripts and found nothing to change: their report on the last line of stdout. A
 * test that needs another answer (a change, a failure, a command still running) gives it with
 * {@link AwsGateway#respond}, which comes first.
 */
public final class RunCommandStandIn extends JsonTargetStandIn {
    static final String TARGET = "AmazonSSM.GetCommandInvocation";
    /** What bundle/files/scripts/apply-moodle-config.sh prints when Moodle already has it all. */
    public static final String NOTHING_TO_CHANGE =
            "{\"settings\":{\"changed\":[],\"unchanged\":0},\"applicationCache\":null}";

    public RunCommandStandIn() {
        super(TARGET);
    }

    @Override
    ResponseDefinition answer(String operation, JsonNode in) {
        ObjectNode out = MAPPER.createObjectNode()
                .put("CommandId", in.path("CommandId").asText())
                .put("InstanceId", in.path("InstanceId").asText())
                .put("Status", "Success")
                .put("StatusDetails", "Success")
                .put("ResponseCode", 0)
                .put("StandardOutputContent", "applying Moodle settings\n" + NOTHING_TO_CHANGE + "\n")
                .put("StandardErrorContent", "");
        return StandIn.json(200, out.toString());
    }

}
