package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.CfnTemplate;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/local_site.py up (what scripts/local up starts first) on bad input: one error line that
 * says what is wrong, exit 2, and nothing left running (no pid file of a live process). Each site
 * here lives in the test's own directory (AUTOPILOT_SITE_DIR), never the checkout's .local/.
 * (A missing PHP extension is the third case the issue names; it cannot be taken away from this
 * machine's PHP for a test, so check_php_extensions is covered by reading only.)
 */
class LocalSiteErrorsTest {
    private static final Path ROOT = CfnTemplate.repositoryRoot();

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private Run up(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Stream.concat(
                Stream.of("python3", ROOT.resolve("scripts/local_site.py").toString(), "up"), Stream.of(args)).toList());
        pb.environment().put("AUTOPILOT_SITE_DIR", tmp.resolve("site").toString());
        pb.environment().putAll(env);
        Path err = tmp.resolve("err.txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return new Run(exit, out, Files.readString(err));
    }

    private void nothingRuns() throws Exception {
        Path run = tmp.resolve("site/run");
        if (!Files.isDirectory(run)) {
            return;
        }
        try (Stream<Path> pids = Files.list(run)) {
            for (Path pid : pids.filter(f -> f.toString().endsWith(".pid")).toList()) {
                long n = Long.parseLong(Files.readString(pid).trim());
                assertThat(ProcessHandle.of(n).map(ProcessHandle::isAlive).orElse(false))
                        .as("%s's process %d still runs", pid.getFileName(), n).isFalse();
            }
        }
    }

    @Test
    void aReleaseWithTheWrongChecksumStopsBeforeAnythingStarts() throws Exception {
        Path archive = Files.write(tmp.resolve("moodle-9.9.9.tgz"), new byte[] {0x1f, (byte) 0x8b, 8, 0});
        String wrong = "0".repeat(64);

        Run r = up(Map.of("MOODLE_RELEASE_TGZ", archive.toString(), "MOODLE_RELEASE_SHA256", wrong));

        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).doesNotContain("SITE_URL");
        assertThat(r.err()).contains("error: " + archive + " has SHA-256 ")
                .contains("expected " + wrong + " (MOODLE_RELEASE_SHA256): not using it");
        nothingRuns();
        assertThat(tmp.resolve("site/pg")).doesNotExist();
    }

    @Test
    void aPortInUseIsNamedAndNothingStarts() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run r = up(Map.of(), "--port", String.valueOf(busy.getLocalPort()));

            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).contains("error: port " + busy.getLocalPort() + " on 127.0.0.1 (the site) is in use");
            assertThat(r.out()).doesNotContain("SITE_URL");
        }
        nothingRuns();
        assertThat(tmp.resolve("site/pg")).doesNotExist();
    }

    @Test
    void aReleaseThatIsNotAFileIsNamed() throws Exception {
        Run r = up(Map.of("MOODLE_RELEASE_TGZ", tmp.resolve("missing.tgz").toString()));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("error: MOODLE_RELEASE_TGZ=" + tmp.resolve("missing.tgz") + " is not a file");
        nothingRuns();
    }
}
