package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release's layout: Moodle 4.5 (everything at the release's top) and Moodle 5.1 and later (web
 * code under public/, docs/decisions.md "Moodle 5.1's public/ layout"). lib.sh's moodle_layout,
 * moodle_docroot, moodle_cli, render_vhost and render_cron, install-release.sh and render-config.sh
 * with each, and the PHP helpers that look for Moodle's files before Moodle is loaded.
 *
 * <p>Moodle 4.5 is the real release archive (HealthPageTest.releaseArchive()); Moodle 5.1 is
 * {@link Moodle51LayoutFixture}, its layout only (no Moodle 5.1 release is on this machine).
 */
class ReleaseLayoutTest {
    @TempDir
    Path tmp;

    FakeInstance instance;
    Path bundle;
    Path dirroot;

    @BeforeEach
    void setUp() {
        instance = new FakeInstance(tmp);
        // Where bootstrap.sh installs the virtual host and cron file: absent (as before a bootstrap)
        // unless a test writes them; never this machine's /etc.
        instance.extraEnv.put("HTTPD_VHOST", tmp.resolve("etc/httpd/conf.d/moodle.conf").toString());
        instance.extraEnv.put("MOODLE_CRON", tmp.resolve("etc/cron.d/moodle").toString());
        bundle = tmp.resolve("bundle");
        dirroot = tmp.resolve("www/moodle");
        instance.prepareReleaseInstall(bundle, dirroot, "pw-layout");
    }

    /** Runs one of lib.sh's functions with its arguments, in the fake instance's environment. */
    Bundle.Result lib(String function, String... args) {
        List<String> cmd = command("bash", "-c", "set -euo pipefail; source \"$0\"; " + function + " \"$@\"",
                Bundle.files().resolve("scripts/lib.sh").toString());
        cmd.addAll(List.of(args));
        return Bundle.run(cmd, instance.env(), null, tmp);
    }

    String ok(Bundle.Result r) {
        assertThat(r.exit()).as(r.all()).isZero();
        return r.stdout();
    }

    /** The Moodle 5.1 layout fixture, unpacked as install-release.sh would find its top. */
    Path fixture51() {
        Path src = tmp.resolve("src-51");
        Moodle51LayoutFixture.files("a").forEach((name, content) -> Bundle.write(src.resolve(name), content));
        return src.resolve("moodle");
    }

    /**
     * The files of the real Moodle 4.5.6 archive the bundle looks at, unpacked; and, from the
     * archive's whole listing, that it has no public/ directory anywhere (what tells the layouts apart).
     */
    Path real45() {
        Path archive = HealthPageTest.releaseArchive();
        assumeTrue(archive != null, "no Moodle release archive here (MOODLE_RELEASE_TGZ, ../shared/moodle or ~/.cache/moodle-autopilot)");
        List<String> listing = ok(Bundle.run(command("tar", "-tzf", archive.toString()))).lines().toList();
        assertThat(listing).contains("moodle/version.php", "moodle/lib/setup.php", "moodle/admin/cli/cron.php",
                "moodle/admin/cli/install_database.php");
        assertThat(listing).noneMatch(name -> name.contains("/public/") || name.equals("moodle/public"));
        Path out = tmp.resolve("real45");
        ok(Bundle.run(command("mkdir", "-p", out.toString())));
        ok(Bundle.run(command("tar", "-xzf", archive.toString(), "-C", out.toString(), "moodle/version.php",
                "moodle/lib/setup.php", "moodle/admin/cli/cron.php", "moodle/admin/cli/install_database.php",
                "moodle/cache/stores/redis/lib.php")));
        return out.resolve("moodle");
    }

    // --- lib.sh ----------------------------------------------------------------------------------

    @Test
    void theRealMoodle45ReleaseHasTheClassicLayout() {
        Path moodle = real45();

        assertThat(ok(lib("moodle_layout", moodle.toString()))).isEqualTo("classic");
        assertThat(ok(lib("moodle_docroot", moodle.toString()))).isEqualTo(moodle.toString());
        assertThat(ok(lib("moodle_cli", moodle.toString(), "cron.php"))).isEqualTo(moodle + "/admin/cli/cron.php");
        assertThat(ok(lib("moodle_cli", moodle.toString(), "install_database.php")))
                .isEqualTo(moodle + "/admin/cli/install_database.php");
    }

    @Test
    void theMoodle51FixtureHasThePublicLayout() {
        Path moodle = fixture51();

        assertThat(ok(lib("moodle_layout", moodle.toString()))).isEqualTo("public");
        assertThat(ok(lib("moodle_docroot", moodle.toString()))).isEqualTo(moodle + "/public");
        assertThat(ok(lib("moodle_cli", moodle.toString(), "cron.php"))).isEqualTo(moodle + "/public/admin/cli/cron.php");
        assertThat(ok(lib("moodle_cli", moodle.toString(), "upgrade.php"))).isEqualTo(moodle + "/public/admin/cli/upgrade.php");
    }

    @Test
    void aCliScriptAtTheTopWinsOverOneUnderPublic() {
        // Should a later release keep its CLI at the top beside public/, that is the one to run.
        Path moodle = fixture51();
        Bundle.write(moodle.resolve("admin/cli/cron.php"), "<?php\n// layout fixture: a top-level CLI\n");

        assertThat(ok(lib("moodle_cli", moodle.toString(), "cron.php"))).isEqualTo(moodle + "/admin/cli/cron.php");
        assertThat(ok(lib("moodle_layout", moodle.toString()))).isEqualTo("public");
    }

    @Test
    void aDirectoryWithoutVersionPhpHasNoLayout() {
        Path notMoodle = tmp.resolve("not-moodle");
        Bundle.write(notMoodle.resolve("public/index.php"), "<?php\n");
        Bundle.write(notMoodle.resolve("admin/cli/cron.php"), "<?php\n");

        assertThat(lib("moodle_layout", notMoodle.toString()).exit()).isNotZero();
        assertThat(lib("moodle_docroot", notMoodle.toString()).exit()).isNotZero();
        assertThat(lib("moodle_cli", notMoodle.toString(), "upgrade.php").exit()).isNotZero();
        // public/version.php alone (no public/lib/setup.php) is not the public layout either.
        Bundle.write(notMoodle.resolve("public/version.php"), "<?php\n");
        assertThat(lib("moodle_layout", notMoodle.toString()).exit()).isNotZero();
    }

    @Test
    void theVirtualHostsDocumentRootIsTheReleasesWebDirectory() {
        Path template = Bundle.files().resolve("config/httpd-moodle.conf");
        String classic = ok(lib("render_vhost", template.toString(), real45().toString(), "/opt/b/health.php"));
        Path moodle51 = fixture51();
        String pub = ok(lib("render_vhost", template.toString(), moodle51.toString(), "/opt/b/health.php"));

        Path moodle45 = tmp.resolve("real45/moodle");
        assertThat(classic).contains("DocumentRoot " + moodle45 + "\n", "<Directory " + moodle45 + ">",
                "Alias /autopilot-health /opt/b/health.php").doesNotContain("@DOCUMENT_ROOT@", moodle45 + "/public");
        assertThat(pub).contains("DocumentRoot " + moodle51 + "/public\n", "<Directory " + moodle51 + "/public>",
                "Alias /autopilot-health /opt/b/health.php").doesNotContain("@DOCUMENT_ROOT@", "@HEALTH_PAGE@");
        // One template: the two differ in the document root only.
        assertThat(pub.replace(moodle51 + "/public", "ROOT")).isEqualTo(classic.replace(moodle45.toString(), "ROOT"));
    }

    @Test
    void cronRunsTheReleasesCronPhp() {
        Path template = Bundle.files().resolve("config/moodle-cron");
        String classic = ok(lib("render_cron", template.toString(), real45().toString()));
        Path moodle51 = fixture51();
        String pub = ok(lib("render_cron", template.toString(), moodle51.toString(), "/etc/pki/tls/certs/ca-bundle.crt"));

        assertThat(classic.lines().filter(l -> l.startsWith("* "))).containsExactly(
                "* * * * * apache /usr/bin/php " + tmp.resolve("real45/moodle/admin/cli/cron.php") + " >>/var/log/moodle/cron.log 2>&1");
        assertThat(classic).doesNotContain("PGSSLROOTCERT", "@CRON_SCRIPT@");
        assertThat(pub.lines().filter(l -> l.startsWith("* "))).containsExactly(
                "* * * * * apache /usr/bin/php " + moodle51 + "/public/admin/cli/cron.php >>/var/log/moodle/cron.log 2>&1");
        assertThat(pub).contains("MAILTO=\"\"\nPGSSLROOTCERT=/etc/pki/tls/certs/ca-bundle.crt\n");
    }

    // --- install-release.sh and render-config.sh -------------------------------------------------

    Bundle.Result install() {
        return instance.run(bundle.resolve("scripts/install-release.sh"));
    }

    void stage51(String tag) {
        Moodle51LayoutFixture.tgz(tmp.resolve("src-51-" + tag), bundle.resolve("moodle-release.tgz"), tag);
    }

    /** A small Moodle 4.5-shaped archive (version.php and admin/cli at the top), as InstallReleaseScriptTest's. */
    void stage45(String tag) {
        Path src = tmp.resolve("src-45-" + tag);
        Bundle.write(src.resolve("moodle/version.php"), "<?php\n$release = '" + tag + "';\n");
        Bundle.write(src.resolve("moodle/index.php"), "<?php\necho 'front page " + tag + "';\n");
        Bundle.write(src.resolve("moodle/admin/cli/cron.php"), "<?php\n");
        Bundle.Result tar = Bundle.run(List.of("tar", "-czf", bundle.resolve("moodle-release.tgz").toString(),
                "-C", src.toString(), "moodle"));
        assertThat(tar.exit()).as(tar.all()).isZero();
    }

    @Test
    void aMoodle51ReleaseGetsConfigPhpAtItsTopAndKeepsMoodlesStub() throws IOException {
        stage51("a");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).contains("has the public layout");
        assertThat(dirroot.resolve("public/version.php")).isRegularFile();
        assertThat(dirroot.resolve("version.php")).doesNotExist();
        // Moodle's stub stays byte for byte; the rendered file is the top one.
        assertThat(Files.readString(dirroot.resolve("public/config.php"))).isEqualTo(Moodle51LayoutFixture.CONFIG_STUB);
        String config = Files.readString(dirroot.resolve("config.php"));
        assertThat(config).contains("Rendered by Moodle Autopilot", "require_once(__DIR__ . '/public/lib/setup.php');")
                .doesNotContain("'/lib/setup.php'");
        assertThat(r.all()).doesNotContain("pw-layout");
        // Through Moodle's stub, as the web server's document root (public/) loads it.
        JsonNode loaded = loadThroughStub(dirroot.resolve("public/config.php"));
        assertThat(loaded.path("dbpass").asText()).isEqualTo("pw-layout");
        assertThat(loaded.path("setup").asText()).isEqualTo(dirroot.toRealPath().resolve("public/lib/setup.php").toString());
    }

    /** Loads a config.php as PHP would, returning $CFG's dbpass and which setup.php it required. */
    JsonNode loadThroughStub(Path config) {
        Bundle.Result loaded = Bundle.run(command(Bundle.php(), "-r",
                "require $argv[1]; echo json_encode(['dbpass' => $CFG->dbpass, 'setup' => $GLOBALS['layout_fixture_setup'] ?? null]);",
                config.toString()), Map.of(), null, tmp);
        assertThat(loaded.exit()).as(loaded.all()).isZero();
        return Bundle.parse(loaded.stdout());
    }

    @Test
    void renderingAgainNeverWritesIntoPublic() throws IOException {
        stage51("a");
        assertThat(install().exit()).isZero();

        Bundle.Result r = instance.run(bundle.resolve("scripts/render-config.sh"));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).contains("config.php rendered in " + dirroot.toRealPath());
        assertThat(Files.readString(dirroot.resolve("public/config.php"))).isEqualTo(Moodle51LayoutFixture.CONFIG_STUB);
        assertThat(Files.readString(dirroot.resolve("config.php"))).contains("'/public/lib/setup.php'");
    }

    @Test
    void theInstalledVirtualHostAndCronFollowEachReleasesLayout() throws IOException {
        // As bootstrap.sh left them for a Moodle 4.5 release (the health page in its bundle copy,
        // PostgreSQL's CA for verify-full).
        Path vhost = Path.of(instance.env().get("HTTPD_VHOST"));
        Path cron = Path.of(instance.env().get("MOODLE_CRON"));
        Path health = tmp.resolve("opt/moodle-autopilot/bundle/config/health.php");
        stage45("r1");
        assertThat(install().exit()).isZero();
        Bundle.write(vhost, ok(lib("render_vhost", Bundle.files().resolve("config/httpd-moodle.conf").toString(),
                dirroot.toString(), health.toString())));
        Bundle.write(cron, ok(lib("render_cron", Bundle.files().resolve("config/moodle-cron").toString(),
                dirroot.toString(), "/etc/pki/tls/certs/ca-bundle.crt")));
        assertThat(Bundle.read(vhost)).contains("DocumentRoot " + dirroot + "\n");

        stage51("a");
        Bundle.Result up = install();

        assertThat(up.exit()).as(up.all()).isZero();
        assertThat(Bundle.read(vhost)).contains("DocumentRoot " + dirroot + "/public\n", "<Directory " + dirroot + "/public>",
                "Alias /autopilot-health " + health + "\n");
        assertThat(Bundle.read(cron)).contains("apache /usr/bin/php " + dirroot + "/public/admin/cli/cron.php >>",
                "PGSSLROOTCERT=/etc/pki/tls/certs/ca-bundle.crt");

        // And back, as a deployment of a Moodle 4.5 release.
        stage45("r2");
        Bundle.Result down = install();

        assertThat(down.exit()).as(down.all()).isZero();
        assertThat(Bundle.read(vhost)).contains("DocumentRoot " + dirroot + "\n", "<Directory " + dirroot + ">")
                .doesNotContain(dirroot + "/public");
        assertThat(Bundle.read(cron)).contains("apache /usr/bin/php " + dirroot + "/admin/cli/cron.php >>",
                "PGSSLROOTCERT=/etc/pki/tls/certs/ca-bundle.crt");
    }

    @Test
    void withoutABootstrappedVirtualHostNothingIsRenderedBesideTheRelease() {
        stage51("a");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(Path.of(instance.env().get("HTTPD_VHOST"))).doesNotExist();
        assertThat(Path.of(instance.env().get("MOODLE_CRON"))).doesNotExist();
    }

    // --- the PHP helpers -------------------------------------------------------------------------

    @Test
    void theCliInstallerIsFoundUnderPublic() {
        Path moodle = fixture51();
        // The fixture's install_database.php says it is not Moodle and exits 3: reaching it is the point.
        List<String> cmd = new ArrayList<>(command(Bundle.php(), Bundle.files().resolve("config/install-database.php").toString(),
                moodle.toString(), "--agree-license"));
        Bundle.Result r = Bundle.run(cmd, Map.of(), Bundle.json(Map.of("password", "pw-admin")), tmp);

        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.stderr()).contains("layout fixture: install_database.php is not Moodle");
    }

    @Test
    void theCodeDirectoryBeforeMoodleLoadsIsPublicForMoodle51() {
        String php = "require $argv[1]; echo autopilot_codedir($argv[2]), \"\\n\", autopilot_codedir($argv[3]);";
        Path moodle45 = real45();
        Path moodle51 = fixture51();
        Bundle.Result r = Bundle.run(command(Bundle.php(), "-r", php, Bundle.files().resolve("moodle/autopilot-lib.php").toString(),
                moodle45.toString(), moodle51.toString()), Map.of(), null, tmp);

        assertThat(ok(r).lines()).containsExactly(moodle45.toString(), moodle51 + "/public");
        assertThat(moodle45.resolve("cache/stores/redis/lib.php")).isRegularFile();
        assertThat(moodle51.resolve("public/cache/stores/redis/lib.php")).isRegularFile();
    }

    @Test
    void renderConfigPhpRefusesAnUnknownLayout() {
        Path site = tmp.resolve("site.json");
        Bundle.write(site, Bundle.siteConfig(FakeInstance.STACK).toString());
        Bundle.Result r = Bundle.run(command(Bundle.php(), Bundle.files().resolve("config/render-config.php").toString(),
                "--site=" + site, "--layout=public/"), Map.of(), Bundle.json(Map.of("username", "u", "password", "p")), tmp);

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("--layout must be classic or public");
        assertThat(r.stdout()).isEmpty();
    }
}
