package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalInvokeTest {

    @Test
    void errorMessagesBecomeValidJsonStrings() {
        assertThat(LocalInvoke.jsonString("a \"quoted\" \\ path\n\ttab\u0001"))
                .isEqualTo("\"a \\\"quoted\\\" \\\\ path\\n\\ttab\\u0001\"");
    }
}
