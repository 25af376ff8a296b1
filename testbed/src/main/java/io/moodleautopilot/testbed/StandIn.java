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
        return answer(status, "application/x-amz-json-1.1", body);
    }

    /** An answer in the REST-JSON protocol (Lambda, SESv2). */
    static ResponseDefinition restJson(int status, String body) {
        return answer(status, "application/json", body);
    }

    /** A REST protocol's GET of {@code path}, with or without a trailing slash or query. */
    static boolean isGet(Request request, String path) {
        return request.getMethod().equals(com.github.tomakehurst.wiremock.http.RequestMethod.GET)
                && request.getUrl().replaceFirst("\\?.*$", "").replaceFirst("/$", "").equals(path);
    }

    private static ResponseDefinition answer(int status, String contentType, String body) {
        return new ResponseDefinitionBuilder().withStatus(status)
                .withHeader("Content-Type", contentType)
                .withHeader("x-amzn-RequestId", UUID.randomUUID().toString())
                .withBody(body)
                .build();
    }
}
