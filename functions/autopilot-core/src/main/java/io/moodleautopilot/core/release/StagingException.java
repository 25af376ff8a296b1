package io.moodleautopilot.core.release;

/**
 * Staging stopped: the download failed or did not match, the bundle is broken, or time ran out.
 * Nothing was uploaded; the message says why, in words fit for a CloudFormation event.
 */
public class StagingException extends RuntimeException {
    public StagingException(String message) {
        super(message);
    }

    public StagingException(String message, Throwable cause) {
        super(message, cause);
    }
}
