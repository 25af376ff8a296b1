package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SetupFlagTest {
    @ParameterizedTest
    @ValueSource(strings = {"Yes", "yes", "YES", "  yes\t", "\nYeS\n"})
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
}
