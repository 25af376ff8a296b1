package io.moodleautopilot.converger;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.function.CustomResourceRequest;
import java.util.Set;

/** Recognises the event shapes AWS delivers to this function; everything else is rejected. */
final class InvocationParser {
    private static final Set<String> CUSTOM_RESOURCE_TYPES = Set.of("Create", "Update", "Delete");

    private InvocationParser() {
    }

    static Invocation parse(byte[] payload, String setupFlagParameter) {
        return parse(payload, setupFlagParameter, "", "");
    }

    static Invocation parse(byte[] payload, String setupFlagParameter, String settingsParameter) {
        return parse(payload, setupFlagParameter, settingsParameter, "");
    }

    /**
     * @param settingsParameter the stack's Moodle settings document; empty when it has none
     * @param upgradeParameter  the instances' upgrade record; empty when the stack has none
     */
    static Invocation parse(byte[] payload, String setupFlagParameter, String settingsParameter,
                            String upgradeParameter) {
        JsonValue event;
        try {
            event = Json.parse(payload);
        } catch (JsonException e) {
            return new Invocation.Rejected("event is not valid JSON");
        }
        if (event == null || !event.isObject()) {
            return new Invocation.Rejected("event is not a JSON object");
        }
        if (event.has("RequestType") && event.has("ResponseURL")) {
            return customResource(event);
        }
        String detailType = event.path("detail-type").asText("");
        return switch (detailType) {
            case "Parameter Store Change" -> parameterChange(event, setupFlagParameter, settingsParameter,
                    upgradeParameter);
            case "Scheduled Event" -> "aws.events".equals(event.path("source").asText())
                    ? new Invocation.Scheduled()
                    : new Invocation.Rejected("scheduled event from unexpected source");
            default -> new Invocation.Rejected(detailType.isEmpty()
                    ? "event has no detail-type and is not a CloudFormation request"
                    : "unsupported detail-type '" + detailType + "'");
        };
    }

    private static Invocation parameterChange(JsonValue event, String setupFlagParameter, String settingsParameter,
                                              String upgradeParameter) {
        if (!"aws.ssm".equals(event.path("source").asText())) {
            return new Invocation.Rejected("Parameter Store Change from unexpected source");
        }
        JsonValue detail = event.path("detail");
        String name = detail.path("name").asText("");
        String operation = detail.path("operation").asText("");
        if (name.isEmpty() || operation.isEmpty()) {
            return new Invocation.Rejected("Parameter Store Change without detail.name or detail.operation");
        }
        if (!settingsParameter.isEmpty() && name.equals(settingsParameter)) {
            return new Invocation.SettingsChange(name, operation);
        }
        if (!upgradeParameter.isEmpty() && name.equals(upgradeParameter)) {
            return new Invocation.UpgradeChange(name, operation);
        }
        if (!name.equals(setupFlagParameter)) {
            return new Invocation.Rejected("event is for parameter " + name + ", not this stack's " + setupFlagParameter);
        }
        return new Invocation.ParameterChange(name, operation);
    }

    private static Invocation customResource(JsonValue event) {
        String type = event.path("RequestType").asText("");
        String url = event.path("ResponseURL").asText("");
        if (!CUSTOM_RESOURCE_TYPES.contains(type) || url.isEmpty()) {
            return new Invocation.Rejected("CloudFormation request with RequestType '" + type + "'");
        }
        return new Invocation.CustomResource(CustomResourceRequest.parse(event).orElseThrow());
    }
}
