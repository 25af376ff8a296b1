package io.moodleautopilot.core.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import io.moodleautopilot.testbed.MoodleSite;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The classification against real PostgreSQL and real MariaDB, with Moodle's own table definitions,
 * in both installers' orders, with the default and a custom prefix.
 */
@ExtendWith({EmbeddedPostgresExtension.class, MariaDbExtension.class})
class MoodleDatabaseReaderTest {
    private EmbeddedPostgres pg;
    private MariaDbServer maria;

    @BeforeEach
    void servers(EmbeddedPostgres pg, MariaDbServer maria) {
        this.pg = pg;
        this.maria = maria;
    }

    record Db(String name, MoodleSite.Dialect dialect) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> phases() {
        Function<MoodleSite, MoodleSite> empty = s -> s;
        Stream.Builder<Arguments> b = Stream.builder();
        for (Db db : new Db[] {new Db("postgresql", MoodleSite.Dialect.POSTGRESQL), new Db("mariadb", MoodleSite.Dialect.MYSQL)}) {
            for (String prefix : new String[] {"mdl_", "moodle45_"}) {
                b.add(Arguments.of(db, prefix, "empty database", empty, InstallPhase.NOT_INSTALLED));
                b.add(Arguments.of(db, prefix, "config table only", (Function<MoodleSite, MoodleSite>) MoodleSite::createConfigTableOnly, InstallPhase.INSTALLING));
                b.add(Arguments.of(db, prefix, "tables, no rows", (Function<MoodleSite, MoodleSite>) MoodleSite::createTables, InstallPhase.INSTALLING));
                b.add(Arguments.of(db, prefix, "core installing", (Function<MoodleSite, MoodleSite>) MoodleSite::coreInstalling, InstallPhase.INSTALLING));
                b.add(Arguments.of(db, prefix, "plugins installing", (Function<MoodleSite, MoodleSite>) MoodleSite::pluginsInstalling, InstallPhase.INSTALLING));
                b.add(Arguments.of(db, prefix, "wizard: admin pending", (Function<MoodleSite, MoodleSite>) MoodleSite::wizardAdminSetupPending, InstallPhase.ADMIN_SETUP_PENDING));
                b.add(Arguments.of(db, prefix, "wizard: site settings pending", (Function<MoodleSite, MoodleSite>) MoodleSite::wizardSiteSettingsPending, InstallPhase.SITE_SETTINGS_PENDING));
                b.add(Arguments.of(db, prefix, "cli: names still empty", (Function<MoodleSite, MoodleSite>) MoodleSite::cliBeforeSiteNames, InstallPhase.SITE_SETTINGS_PENDING));
                b.add(Arguments.of(db, prefix, "complete", (Function<MoodleSite, MoodleSite>) MoodleSite::complete, InstallPhase.COMPLETE));
                b.add(Arguments.of(db, prefix, "upgrade of a complete site", (Function<MoodleSite, MoodleSite>) MoodleSite::upgrading, InstallPhase.UPGRADING));
            }
        }
        return b.build();
    }

    private MoodleSite site(Db db, String prefix) {
        return db.dialect() == MoodleSite.Dialect.POSTGRESQL
                ? new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), db.dialect(), prefix)
                : new MoodleSite(MoodleSite.connections(maria.url(), MariaDbServer.USER, MariaDbServer.PASSWORD),
                db.dialect(), prefix);
    }

    private DatabaseTarget target(Db db, String prefix) {
        return db.dialect() == MoodleSite.Dialect.POSTGRESQL
                ? new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1", pg.getPort(), "postgres", prefix, "disable", "")
                : new DatabaseTarget(DatabaseEngine.fromMoodleDbType("auroramysql"), "127.0.0.1", maria.port(),
                MariaDbServer.DATABASE, prefix, "disable", "");
    }

    private Credentials credentials(Db db) {
        return db.dialect() == MoodleSite.Dialect.POSTGRESQL
                ? new Credentials("postgres", "postgres") : new Credentials(MariaDbServer.USER, MariaDbServer.PASSWORD);
    }

    @ParameterizedTest(name = "{0} {1}: {2} -> {4}")
    @MethodSource("phases")
    void classifiesEveryPhase(Db db, String prefix, String state, Function<MoodleSite, MoodleSite> arrange,
                              InstallPhase expected) {
        MoodleSite site = site(db, prefix).drop();
        site(db, "other_").drop().complete(); // another site's tables in the same database must not matter
        arrange.apply(site);

        MoodleSnapshot snapshot = new MoodleDatabaseReader().read(target(db, prefix), credentials(db));

        assertThat(PhaseClassifier.classify(snapshot, false)).isEqualTo(expected);
        site.drop();
        site(db, "other_").drop();
    }

    @Test
    void aDeletedUserWithThePlaceholderPasswordDoesNotHoldTheInstallBack() {
        Db db = new Db("postgresql", MoodleSite.Dialect.POSTGRESQL);
        MoodleSite site = site(db, "mdl_").drop().complete().addUser("olduser", "adminsetuppending", true);
        MoodleSnapshot s = new MoodleDatabaseReader().read(target(db, "mdl_"), credentials(db));
        assertThat(PhaseClassifier.classify(s, false)).isEqualTo(InstallPhase.COMPLETE);
        site.drop();
    }

    @Test
    void fixturesMatchMoodlesTableDefinitions() {
        assertThat(MoodleSite.fieldCounts()).containsEntry("config", 3).containsEntry("course", 37).containsEntry("user", 48);
    }

    @Test
    void wrongCredentialsAreAnAuthenticationErrorWithoutThePassword() {
        Db db = new Db("mariadb", MoodleSite.Dialect.MYSQL);
        String wrong = "not-the-Password-123";
        assertThatThrownBy(() -> new MoodleDatabaseReader().read(target(db, "mdl_"), new Credentials(MariaDbServer.USER, wrong)))
                .isInstanceOfSatisfying(DatabaseException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DatabaseException.Kind.AUTHENTICATION);
                    assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(MariaDbServer.PASSWORD);
                });
    }

    @Test
    void anUnreachableDatabaseIsAClearErrorWithinTheConnectTimeout() {
        int closed = io.moodleautopilot.testbed.MotoServer.freePort();
        DatabaseTarget nowhere = new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1", closed, "moodle", "mdl_", "require", "");
        long start = System.nanoTime();
        assertThatThrownBy(() -> new MoodleDatabaseReader().read(nowhere, new Credentials("u", "p")))
                .isInstanceOfSatisfying(DatabaseException.class,
                        e -> assertThat(e.kind()).isEqualTo(DatabaseException.Kind.UNREACHABLE));
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(DatabaseTarget.CONNECT_TIMEOUT_SECONDS * 1000L + 2000);
    }

    @Test
    void aPrefixThatCouldInjectSqlIsRefused() {
        assertThatThrownBy(() -> new DatabaseTarget(DatabaseEngine.POSTGRESQL, "h", 5432, "moodle",
                "mdl_; DROP TABLE x; --", "require", "")).hasMessageContaining("table prefix");
    }
}
