package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.io.IOException;
import java.util.Set;

/**
 * A stand-in for operations of a JSON 1.1 protocol service, chosen by their {@code X-Amz-Target}
 * header: the request body is parsed here (a body that is not JSON gets the service's
 * SerializationException), the operation's answer is the subclass's.
 */
abstract class JsonTargetStandIn implements StandIn {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private final Set<String> targets;

    JsonTargetStandIn(String... targets) {
        this.targets = Set.of(targets);
    }

    /**
     * The answer to a request whose body parsed as JSON.
     *
     * @param operation the operation's name (the X-Amz-Target after its last '.')
     */
    abstract ResponseDefinition answer(String operation, JsonNode body);

    /** The same, for a stand-in that also needs the request itself (to pass it on). */
    ResponseDefinition answer(String operation, JsonNode body, Request request) {
        return answer(operation, body);
    }

    @Override
    public final boolean handles(String operation, Request request) {
        String target = request.getHeader("X-Amz-Target");
        return target != null && targets.contains(target);
    }

    @Override
    public final ResponseDefinition answer(String operation, Request request) {
        JsonNode body;
        try {
            body = MAPPER.readTree(request.getBodyAsString());
        } catch (IOException e) {
            return StandIn.json(400, "{\"__type\":\"SerializationException\",\"message\":\"request body is not JSON\"}");
        }
        return answer(operation, body, request);
    }
}
