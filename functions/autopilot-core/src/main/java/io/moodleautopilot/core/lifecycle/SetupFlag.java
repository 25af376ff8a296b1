package io.moodleautopilot.core.lifecycle;

import java.util.Locale;
import java.util.Optional;

/** The value of {@code /Moodle/<stack>/IsMoodleSetupCompleted}: the one input that decides the lifecycle phase. */
public enum SetupFlag {
    YES, NO;

    /**
     * Operators type this value by hand, so case and surrounding blanks are forgiven; anything else
     * (empty, "true", "1", garbage) is refused rather than guessed, because a wrong guess scales a site.
     */
    public static Optional<SetupFlag> parse(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "yes" -> Optional.of(YES);
            case "no" -> Optional.of(NO);
            default -> Optional.empty();
        };
    }

    public LifecyclePhase phase() {
        return this == YES ? LifecyclePhase.PRODUCTION : LifecyclePhase.INSTALL;
    }
}
