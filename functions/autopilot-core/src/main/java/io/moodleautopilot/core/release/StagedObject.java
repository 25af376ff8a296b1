package io.moodleautopilot.core.release;

import java.util.Map;

/**
 * The source object as it is now: its current version and the user metadata it was staged with.
 *
 * @param metadata keys as in {@link SourceMetadata}
 */
public record StagedObject(String versionId, Map<String, String> metadata) {
    public StagedObject {
        metadata = Map.copyOf(metadata);
    }

    public String get(String key) {
        return metadata.getOrDefault(key, "");
    }
}
