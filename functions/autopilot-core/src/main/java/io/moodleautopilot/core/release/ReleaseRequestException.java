package io.moodleautopilot.core.release;

/** The custom resource's properties cannot be staged as given: nothing was downloaded or written. */
public final class ReleaseRequestException extends RuntimeException {
    public ReleaseRequestException(String message) {
        super(message);
    }
}
