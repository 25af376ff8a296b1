package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import io.moodleautopilot.testbed.MoodleSite;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/install-state.php on Moodle 4.5.6's own setup files (config.php rendered by the bundle's
 * render-config.php, loaded as Moodle's config-only scripts load it), against a real PostgreSQL and
 * a real MariaDB holding Moodle's tables as each installer phase leaves them. The check used to load
 * all of Moodle's setup, which after a dead installer stops with "Site is being upgraded" and deletes
 * the upgraderunning row: here it must answer, and write nothing.
 */
@ExtendWith(EmbeddedPostgresExtension.class)
class InstallStateTest {
    static Path moodle;

    @TempDir
    Path tmp;

    Path dirroot;

    @BeforeAll
    static void unpackMoodlesSetup(@TempDir Path shared) {
        Path archive = HealthPageTest.releaseArchive();
        assumeTrue(archive != null, "the Moodle release archive (../shared/moodle/moodle-4.5.6.tgz) is not here");
        List<String> tar = command("tar", "-xzf", archive.toString(), "-C", shared.toString());
        tar.addAll(List.of(HealthPageTest.MOODLE_FILES));
        Bundle.Result r = Bundle.run(tar);
        assertThat(r.exit()).as(r.all()).isZero();
        moodle = shared.resolve("moodle");
    }

    @BeforeEach
    void copyMoodlesSetupFiles() throws IOException {
        dirroot = tmp.resolve("www/moodle");
        Files.createDirectories(tmp.resolve("moodledata"));
        for (String f : HealthPageTest.MOODLE_FILES) {
            Path target = dirroot.resolve(f.substring("moodle/".length()));
            Files.createDirectories(target.getParent());
            Files.copy(moodle.resolve(f.substring("moodle/".length())), target);
        }
    }

    void renderConfig(String dbtype, int port, String dbname, String user, String password) {
        ObjectNode site = Bundle.siteConfig("autopilot-test");
        site.put("dbtype", dbtype);
        site.put("dbhost", "127.0.0.1");
        site.put("dbport", String.valueOf(port));
        site.put("dbname", dbname);
        site.put("db_tls", "false");
        site.put("dataroot", tmp.resolve("moodledata").toString());
        site.put("localcachedir", tmp.resolve("localcache").toString());
        Path siteFile = tmp.resolve("site.json");
        Bundle.write(siteFile, site.toString());
        Bundle.Result r = Bundle.run(command(Bundle.php(), Bundle.files().resolve("config/render-config.php").toString(),
                "--site=" + siteFile), Map.of(), Bundle.json(Map.of("username", user, "password", password)), tmp);
        assertThat(r.exit()).as(r.all()).isZero();
        Bundle.write(dirroot.resolve("config.php"), r.stdout());
    }

    Bundle.Result state() {
        return Bundle.run(command(Bundle.php(), Bundle.files().resolve("config/install-state.php").toString(),
                dirroot.toString()), Map.of(), null, tmp);
    }

    /** Every row of the config table, to show the check wrote nothing. */
    static List<String> configRows(Connection c) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery("SELECT name, value FROM mdl_config ORDER BY name")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + "=" + rs.getString(2));
            }
        }
        return rows;
    }

    String answerFor(EmbeddedPostgres pg, Consumer<MoodleSite> phase) throws Exception {
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL,
                "mdl_").drop();
        phase.accept(site);
        renderConfig("pgsql", pg.getPort(), "postgres", "postgres", "unused-local-trust");
        Bundle.Result r = state();
        assertThat(r.exit()).as(r.all()).isZero();
        return r.stdout().strip();
    }

    @Test
    void eachPhaseOnPostgreSqlHasItsAnswer(EmbeddedPostgres pg) throws Exception {
        assertThat(answerFor(pg, s -> { })).isEqualTo("empty");
        assertThat(answerFor(pg, MoodleSite::createConfigTableOnly)).isEqualTo("partial");
        assertThat(answerFor(pg, MoodleSite::coreInstalling)).isEqualTo("partial");
        assertThat(answerFor(pg, MoodleSite::cliBeforeSiteNames)).isEqualTo("installed");
        assertThat(answerFor(pg, MoodleSite::complete)).isEqualTo("installed");
        assertThat(answerFor(pg, MoodleSite::upgrading)).isEqualTo("upgrading");
    }

    /**
     * An installer that died with upgraderunning set: Moodle's setup would stop here ("Site is being
     * upgraded") and, once the time in the row has passed, delete the row. The check answers and
     * leaves every row as it was, on a session the server itself keeps read-only.
     */
    @Test
    void aDeadInstallersUpgradeFlagIsReadAndLeftAlone(EmbeddedPostgres pg) throws Exception {
        String answer = answerFor(pg, s -> s.complete().setConfig("upgraderunning", "1000000000"));
        try (Connection c = pg.getPostgresDatabase().getConnection()) {
            List<String> before = configRows(c);
            assertThat(answer).isEqualTo("upgrading");
            assertThat(state().stdout().strip()).isEqualTo("upgrading");
            assertThat(configRows(c)).isEqualTo(before).contains("upgraderunning=1000000000");
        }
    }

    @Test
    void anUnreachableDatabaseIsAnErrorNotAState(EmbeddedPostgres pg) {
        renderConfig("pgsql", 1, "postgres", "postgres", "Install-state-pw-'\"");
        Bundle.Result r = state();

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("cannot read the database").doesNotContain("Install-state-pw");
    }

    @Test
    @ExtendWith(MariaDbExtension.class)
    void mariaDbToo(MariaDbServer maria) throws Exception {
        MoodleSite site = new MoodleSite(MoodleSite.connections(maria.url(), MariaDbServer.USER, MariaDbServer.PASSWORD),
                MoodleSite.Dialect.MYSQL, "mdl_").drop();
        renderConfig("mariadb", maria.port(), MariaDbServer.DATABASE, MariaDbServer.USER, MariaDbServer.PASSWORD);
        assertThat(state().stdout().strip()).isEqualTo("empty");

        site.complete();
        assertThat(state().stdout().strip()).isEqualTo("installed");
        site.setConfig("upgraderunning", "1000000000");
        assertThat(state().stdout().strip()).isEqualTo("upgrading");
    }
}
