package io.moodleautopilot.function;

import io.moodleautopilot.core.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A CloudFormation custom resource request as CloudFormation sends it to the function. The request
 * type is kept as sent, so that a handler can answer FAILED to one it does not know; properties are
 * read as strings (CloudFormation sends every scalar property as a string).
 *
 * @param physicalResourceId null on Create
 */
public record CustomResourceRequest(String requestType, String responseUrl, String stackId, String requestId,
                                    String logicalResourceId, String resourceType, String physicalResourceId,
                                    Map<String, String> properties, Map<String, String> oldProperties)
        implements CustomResourceResponder.Request {

    public CustomResourceRequest {
        properties = Map.copyOf(properties);
        oldProperties = Map.copyOf(oldProperties);
    }

    /**
     * @return the request, or empty when the event is not a custom resource request (it has no
     *         ResponseURL, so there is nobody to answer)
     */
    public static Optional<CustomResourceRequest> parse(JsonValue event) {
        if (event == null || !event.isObject() || !event.path("ResponseURL").isTextual()
                || event.path("ResponseURL").asText().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new CustomResourceRequest(
                event.path("RequestType").asText(""),
                event.path("ResponseURL").asText(),
                event.path("StackId").asText(""),
                event.path("RequestId").asText(""),
                event.path("LogicalResourceId").asText(""),
                event.path("ResourceType").asText(""),
                event.hasNonNull("PhysicalResourceId") ? event.path("PhysicalResourceId").asText() : null,
                strings(event.path("ResourceProperties")),
                strings(event.path("OldResourceProperties"))));
    }

    /** A property as a trimmed string; empty when absent. */
    public String property(String name) {
        return properties.getOrDefault(name, "").trim();
    }

    private static Map<String, String> strings(JsonValue node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            node.properties().forEach(e -> {
                JsonValue v = e.getValue();
                if (v != null && !v.isNull()) {
                    out.put(e.getKey(), v.isValueNode() ? v.asText() : v.toString());
                }
            });
        }
        return out;
    }
}
