package io.moodleautopilot.core.lifecycle;

/**
 * What Parameter Store holds for the setup flag at the moment of reading.
 *
 * @param rawValue the stored text, or null when the parameter does not exist
 * @param version  Parameter Store's version of that value (0 when absent)
 * @param lastModified when that version was written; with the version it names one transition even
 *                     if the parameter is deleted and created again (versions restart at 1)
 */
public record FlagReading(String rawValue, long version, java.time.Instant lastModified) {
    public static FlagReading absent() {
        return new FlagReading(null, 0, null);
    }

    public boolean exists() {
        return rawValue != null;
    }
}
