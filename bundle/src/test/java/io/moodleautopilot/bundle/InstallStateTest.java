package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

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
        moodle = HealthPageTest.unpackSetupFiles(shared);
    }

    @BeforeEach
    void copyMoodlesSetupFiles() throws IOException {
        dirroot = tmp.resolve("www/moodle");
        Files.createDirectories(tmp.resolve("moodledata"));
        HealthPageTest.copySetupFiles(moodle, dirroot);
    }

    void renderConfig(String dbtype, int port, String dbname, String user, String password) {
        HealthPageTest.renderConfig(tmp, dirroot, dbtype, port, dbname, "false", user, password);
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
