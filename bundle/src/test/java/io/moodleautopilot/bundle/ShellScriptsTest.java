package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every script parses (bash -n), passes shellcheck at severity warning, and keeps the house rules. */
class ShellScriptsTest {
    static List<String> scripts() {
        return BundleLayoutTest.scripts();
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void parsesWithBashN(String script) {
        Bundle.Result r = Bundle.run(command("bash", "-n", Bundle.files().resolve(script).toString()));
        assertThat(r.exit()).as(r.all()).isZero();
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void stopsOnErrorsAndNeverTraces(String script) {
        String text = Bundle.read(Bundle.files().resolve(script));
        if (!script.equals("scripts/lib.sh")) {
            assertThat(text).startsWith("#!/usr/bin/env bash\n").contains("\nset -euo pipefail\n");
        }
        // xtrace would print every secret the scripts hold.
        assertThat(text).doesNotContainPattern("(?m)^\\s*set\\s+-[a-wyz]*x").doesNotContain("set -o xtrace")
                .doesNotContain("bash -x");
    }

    @Test
    void shellcheckFindsNothingAtSeverityWarning() {
        assumeTrue(Bundle.onPath("shellcheck"),
                "shellcheck is not installed (scripts/lib.sh ensure_test_packages installs it): check skipped");
        List<String> cmd = new ArrayList<>(command("shellcheck", "-x", "-S", "warning"));
        for (String script : scripts()) {
            cmd.add(script.substring("scripts/".length()));
        }
        Bundle.Result r = Bundle.run(cmd, java.util.Map.of(), null, Bundle.files().resolve("scripts"));
        assertThat(r.exit()).as(r.all()).isZero();
    }
}
