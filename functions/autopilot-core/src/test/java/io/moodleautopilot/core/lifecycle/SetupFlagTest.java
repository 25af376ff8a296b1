package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SetupFlagTest {
    @ParameterizedTest
    @ValueSource(strings = {"Yes", "yes", "YES", "  yes\t", "\nYeS\n", "\tyes\r\n"})
    void yesInAnyCaseAndSpacing(String raw) {
        assertThat(SetupFlag.parse(raw)).contains(SetupFlag.YES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"No", "no", " NO "})
    void noInAnyCaseAndSpacing(String raw) {
        assertThat(SetupFlag.parse(raw)).contains(SetupFlag.NO);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " ", "true", "false", "1", "0", "y", "n", "Yes!", "Yes No", "Ja", "ｙｅｓ"})
    void anythingElseIsRefused(String raw) {
        assertThat(SetupFlag.parse(raw)).isEmpty();
    }

    /** Only ASCII blanks are forgiven: String.trim would have accepted a NUL or other control character. */
    @ParameterizedTest
    @ValueSource(strings = {"Yes\u0000", "\u0000Yes", "No\u0000", "Yes\u0007", "Yes\u000B", "Yes\f", "Yes\u001F",
            "Yes\u200B", "\uFEFFYes", "Yes\u2028", "Yes\u00A0", "Yes\u202E"})
    void controlAndFormatCharactersAreNotBlanks(String raw) {
        assertThat(SetupFlag.parse(raw)).isEmpty();
    }
}
