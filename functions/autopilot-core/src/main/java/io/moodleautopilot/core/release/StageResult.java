package io.moodleautopilot.core.release;

/**
 * What a Create or Update left in the bucket.
 *
 * @param uploaded false when the object already held this release and bundle
 * @param reason   why it was (or was not) uploaded, for the log and the CloudFormation event
 * @param moodleRelease the staged release's $release (empty for an object staged before it was recorded)
 * @param moodleVersion its $version, likewise
 */
public record StageResult(boolean uploaded, String versionId, String releaseUrl, String releaseSha256,
                          long releaseBytes, String reason, String moodleRelease, String moodleVersion) {
}
