package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * configure-muc.php against the cache stores the real Moodle 4.5.6 release ships (cache/stores:
 * apcu file redis session static; memcached was removed in 4.2). A FAKE Moodle had a memcached
 * store, which hid that the application cache on memcached could never work. Here config.php
 * stands for "Moodle is loaded": it exits 9, so a refusal must come before Moodle is.
 */
class ReleaseCacheStoresTest {
    static Path dirroot;

    @BeforeAll
    static void unpackTheReleasesCacheStores(@TempDir Path shared) {
        Path archive = HealthPageTest.releaseArchive();
        assumeTrue(archive != null, "no Moodle release archive here (MOODLE_RELEASE_TGZ, ../shared/moodle or ~/.cache/moodle-autopilot)");
        Bundle.Result r = Bundle.run(Bundle.command("tar", "-xzf", archive.toString(), "-C", shared.toString(),
                "moodle/cache/stores", "moodle/cache/upgrade.txt"));
        assertThat(r.exit()).as(r.all()).isZero();
        dirroot = shared.resolve("moodle");
        Bundle.write(dirroot.resolve("config.php"), "<?php fwrite(STDERR, \"MOODLE LOADED\\n\"); exit(9);\n");
    }

    Bundle.Result configureMuc(Map<String, Object> cache, String... options) {
        List<String> cmd = new java.util.ArrayList<>(Bundle.command(Bundle.php(),
                Bundle.files().resolve("moodle/configure-muc.php").toString(), "--payload=-", "--dirroot=" + dirroot));
        cmd.addAll(List.of(options));
        return Bundle.run(cmd, Map.of(), Bundle.json(AutopilotLibTest.payload(Map.of(), cache)), null);
    }

    @Test
    void theReleaseHasARedisStoreAndNoMemcachedStore() {
        assertThat(dirroot.resolve("cache/stores/redis/lib.php")).isRegularFile();
        assertThat(dirroot.resolve("cache/stores/memcached")).doesNotExist();
        assertThat(Bundle.read(dirroot.resolve("cache/upgrade.txt"))).containsIgnoringCase("memcached");
    }

    @Test
    void memcachedIsRefusedWithItsReasonBeforeMoodleIsLoaded() {
        Bundle.Result r = configureMuc(AutopilotLibTest.cache("memcached", "mc.example.com", 11211, false));

        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.stderr()).contains("Moodle removed its memcached cache store in 4.2").doesNotContain("MOODLE LOADED");
    }

    @Test
    void redisPassesTheReleaseCheckAndMoodleIsLoaded() {
        Bundle.Result r = configureMuc(AutopilotLibTest.cache("redis", "cache.example.com", 6379, true),
                "--cafile=/etc/hostname");

        assertThat(r.exit()).as(r.all()).isEqualTo(9);
        assertThat(r.stderr()).contains("MOODLE LOADED");
    }

    @Test
    void tlsWithoutATrustedCaIsRefusedBeforeMoodleIsLoaded(@TempDir Path tmp) {
        Bundle.Result r = configureMuc(AutopilotLibTest.cache("redis", "cache.example.com", 6379, true),
                "--cafile=" + tmp.resolve("absent-ca-bundle.crt"));

        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.stderr()).contains("never used unverified").doesNotContain("MOODLE LOADED");
        assertThat(Files.exists(tmp.resolve("absent-ca-bundle.crt"))).isFalse();
    }
}
