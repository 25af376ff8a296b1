package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import io.moodleautopilot.testbed.MoodleSite;
import io.moodleautopilot.testbed.MotoServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({EmbeddedPostgresExtension.class, MariaDbExtension.class})
class ProbeTest {
    record Run(int exit, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Run probe(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Probe.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsThePhaseAloneOnTheLastLine(EmbeddedPostgres pg, MariaDbServer maria) {
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().wizardAdminSetupPending();
        Run r = probe(Map.of(), "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "--user", "postgres");
        assertThat(r.exit()).isZero();
        assertThat(r.lastLine()).isEqualTo("ADMIN_SETUP_PENDING");
        site.drop();

        MoodleSite m = new MoodleSite(MoodleSite.connections(maria.url(), MariaDbServer.USER, MariaDbServer.PASSWORD),
                MoodleSite.Dialect.MYSQL, "m45_").drop().complete();
        Run mysql = probe(Map.of("DBPW", MariaDbServer.PASSWORD), "--jdbc-url",
                "jdbc:mysql://127.0.0.1:" + maria.port() + "/" + MariaDbServer.DATABASE, "--user", MariaDbServer.USER,
                "--password-env", "DBPW", "--prefix", "m45_");
        assertThat(mysql.exit()).isZero();
        assertThat(mysql.lastLine()).isEqualTo("COMPLETE");
        m.drop();
    }

    @Test
    void wrongCredentialsAndUnreachableDatabasesExitTwoWithAClearError(MariaDbServer maria) {
        Run wrong = probe(Map.of("DBPW", "nope-Wrong-1"), "--jdbc-url",
                "jdbc:mariadb://127.0.0.1:" + maria.port() + "/" + MariaDbServer.DATABASE, "--user", MariaDbServer.USER,
                "--password-env", "DBPW");
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err()).contains("authentication failed").doesNotContain("nope-Wrong-1");
        assertThat(wrong.out()).isEmpty();

        Run down = probe(Map.of(), "--jdbc-url", "jdbc:postgresql://127.0.0.1:" + MotoServer.freePort() + "/moodle",
                "--user", "moodle");
        assertThat(down.exit()).isEqualTo(2);
        assertThat(down.err()).contains("cannot connect");
    }

    @Test
    void badArgumentsExitTwoWithTheUsage() {
        assertThat(probe(Map.of(), "--user", "x").err()).contains("usage:");
        assertThat(probe(Map.of(), "--jdbc-url", "jdbc:oracle:thin:@x", "--user", "x").exit()).isEqualTo(2);
        assertThat(probe(Map.of(), "--jdbc-url", "jdbc:postgresql://h/db", "--user", "x", "--password-env", "UNSET_VAR").err())
                .contains("UNSET_VAR is not set");
    }
}
