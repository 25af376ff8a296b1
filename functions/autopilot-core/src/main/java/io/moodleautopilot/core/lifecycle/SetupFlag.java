package io.moodleautopilot.core.lifecycle;

import java.util.Locale;
import java.util.Optional;

/** The value of {@code /Moodle/<stack>/IsMoodleSetupCompleted}: the one input that decides the lifecycle phase. */
public enum SetupFlag {
    YES, NO;

    /**
     * Operators type this value by hand, so case and surrounding blanks are forgiven; anything else
     * (empty, "true", "1", garbage) is refused rather than guessed, because a wrong guess scales a site.
     * Blanks are the ASCII space, tab, CR and LF only: {@code String.trim} would also strip NUL and
     * every other control character, so "Yes\u0000" (not something a person types) would scale a site.
     */
    public static Optional<SetupFlag> parse(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        return switch (stripBlanks(raw).toLowerCase(Locale.ROOT)) {
            case "yes" -> Optional.of(YES);
            case "no" -> Optional.of(NO);
            default -> Optional.empty();
        };
    }

    private static String stripBlanks(String raw) {
        int start = 0;
        int end = raw.length();
        while (start < end && isBlank(raw.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(raw.charAt(end - 1))) {
            end--;
        }
        return raw.substring(start, end);
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    public LifecyclePhase phase() {
        return this == YES ? LifecyclePhase.PRODUCTION : LifecyclePhase.INSTALL;
    }
}
