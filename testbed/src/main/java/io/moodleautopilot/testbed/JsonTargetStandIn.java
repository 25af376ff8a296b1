package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.io.IOException;

/**
 * A stand-in for one operation of a JSON 1.1 protocol service, chosen by its {@code X-Amz-Target}
 * header: the request body is parsed here (a body that is not JSON gets the service's
 * SerializationException), the operation's answer is the subclass's.
 */
abstract class JsonTargetStandIn implements StandIn {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private final String target;

    JsonTargetStandIn(String target) {
        this.target = target;
    }

    /** The answer to a request whose body parsed as JSON. */
    abstract ResponseDefinition answer(JsonNode body);

    @Override
    public final boolean handles(String operation, Request request) {
        return target.equals(request.getHeader("X-Amz-Target"));
    }

    @Override
    public final ResponseDefinition answer(String operation, Request request) {
        JsonNode body;
        try {
            body = MAPPER.readTree(request.getBodyAsString());
        } catch (IOException e) {
            return StandIn.json(400, "{\"__type\":\"SerializationException\",\"message\":\"request body is not JSON\"}");
        }
        return answer(body);
    }
}
