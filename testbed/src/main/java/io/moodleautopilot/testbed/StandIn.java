package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.UUID;

/**
 * Answers one AWS operation that moto lacks, in the operation's real wire protocol. Each
 * implementation names the gap it covers.
 */
public interface StandIn {
    /** @param operation the operation name as sent on the wire (X-Amz-Target suffix or Action field) */
    boolean handles(String operation, Request request);

    ResponseDefinition answer(String operation, Request request);

    /** An answer in the JSON 1.1 protocol that SSM and CodePipeline speak. */
    static ResponseDefinition json(int status, String body) {
        return new ResponseDefinitionBuilder().withStatus(status)
                .withHeader("Content-Type", "application/x-amz-json-1.1")
                .withHeader("x-amzn-RequestId", UUID.randomUUID().toString())
                .withBody(body)
                .build();
    }
}
