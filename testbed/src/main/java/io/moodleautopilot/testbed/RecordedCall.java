package io.moodleautopilot.testbed;

import java.util.List;
import java.util.Set;

/**
 * One AWS API call as the SDK made it (retries are not separate calls).
 *
 * @param action    the IAM action it needs, e.g. "ssm:GetParameters"
 * @param resources the ARNs it touches ("*" for actions without resource-level permissions)
 */
public record RecordedCall(String action, List<String> resources) {
    private static final Set<String> READ_PREFIXES = Set.of("Get", "Describe", "List");

    public String operation() {
        return action.substring(action.indexOf(':') + 1);
    }

    public boolean isWrite() {
        return READ_PREFIXES.stream().noneMatch(operation()::startsWith);
    }
}
