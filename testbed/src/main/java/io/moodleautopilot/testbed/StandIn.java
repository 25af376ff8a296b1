package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;

/**
 * Answers one AWS operation that moto lacks, in the operation's real wire protocol. Each
 * implementation names the gap it covers.
 */
public interface StandIn {
    /** @param operation the operation name as sent on the wire (X-Amz-Target suffix or Action field) */
    boolean handles(String operation, Request request);

    ResponseDefinition answer(String operation, Request request);
}
