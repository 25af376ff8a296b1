package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each refusal rule, on both sides of its boundary. */
class UpgradeCompatibilityTest {
    /** Moodle 4.5.6's 4.5 element, as its admin/environment.xml has it. */
    static final String ENV_45 = """
            <?xml version="1.0" encoding="UTF-8" ?>
            <COMPATIBILITY_MATRIX>
              <MOODLE version="4.4" requires="3.11.8">
                <DATABASE level="required"><VENDOR name="postgres" version="13" /></DATABASE>
                <PHP version="8.1.0" level="required" />
              </MOODLE>
              <MOODLE version="4.5" requires="4.1.2">
                <DATABASE level="required">
                  <VENDOR name="mariadb" version="10.6.7" />
                  <VENDOR name="mysql" version="8.0" />
                  <VENDOR name="postgres" version="13" />
                </DATABASE>
                <PHP version="8.1.0" level="required">
                  <RESTRICT function="restrict_php_version_84" message="unsupportedphpversion84" />
                </PHP>
              </MOODLE>
            </COMPATIBILITY_MATRIX>
            """;
    static final MoodleRelease R456 = new MoodleRelease("moodle/", "2024100706.00", "4.5.6 (Build: 20250811)", "405",
            Map.of("local", "local"), ENV_45);
    static final Platform STACK = Platform.of("8.3", "aurora-postgresql", "16.8");
    static final DatabaseRecord NEW_SITE = DatabaseRecord.none();

    private static DatabaseRecord db(String version, String release) {
        return db(version, release, Map.of());
    }

    private static DatabaseRecord db(String version, String release, Map<String, String> plugins) {
        return new DatabaseRecord("DONE", version, release, plugins);
    }

    private static List<String> check(DatabaseRecord db) {
        return UpgradeCompatibility.refusals(R456, db, STACK, List.of());
    }

    @Test
    void aNewSiteOnTheTemplatesPlatformIsAccepted() {
        assertThat(check(NEW_SITE)).isEmpty();
    }

    @Test
    void aDowngradeIsRefusedWithBothVersionsAndTheSameVersionOrANewerReleaseIsNot() {
        assertThat(check(db("2024100707.00", "4.5.7 (Build: 20250915)"))).singleElement().asString()
                .contains("4.5.6 (Build: 20250811) (2024100706.00)").contains("4.5.7 (Build: 20250915) (2024100707.00)")
                .contains("downgrade").contains("downgradedcore");
        // One hundredth above: Moodle's .XX increments count.
        assertThat(check(db("2024100706.01", "4.5.6+"))).singleElement().asString().contains("downgrade");
        assertThat(check(db("2024100706.00", "4.5.6 (Build: 20250811)"))).as("the same version").isEmpty();
        assertThat(check(db("2024100705.00", "4.5.5 (Build: 20250609)"))).as("an upgrade").isEmpty();
    }

    @Test
    void aJumpFromBelowTheBranchsRequiresIsRefusedAndFromItIsNot() {
        assertThat(check(db("2022112801.00", "4.1.1 (Build: 20230116)"))).singleElement().asString()
                .contains("requires a site at 4.1.2 or later").contains("4.1.1 (Build: 20230116)");
        assertThat(check(db("2022112802.00", "4.1.2 (Build: 20230313)"))).isEmpty();
        assertThat(check(db("2021051718.00", "3.11.18 (Build: 20231211)"))).as("3.11 < 4.1, numerically")
                .singleElement().asString().contains("requires a site at 4.1.2");
    }

    @Test
    void aDevReleaseCountsAsTheBranchBeforeIt() {
        // environment_check_moodle: "4.2dev" is read as 4.1, below 4.1.2.
        assertThat(UpgradeCompatibility.siteRelease("4.2dev (Build: 20230101)")).isEqualTo("4.1");
        assertThat(check(db("2023010100.00", "4.2dev (Build: 20230101)"))).singleElement().asString()
                .contains("requires a site at 4.1.2");
        assertThat(UpgradeCompatibility.siteRelease("5.0dev")).isEqualTo("4.9");
        assertThat(UpgradeCompatibility.normalizeVersion("4.1.2+ (Build: 20230317)")).isEqualTo("4.1.2");
        assertThat(UpgradeCompatibility.normalizeVersion("1.9 Beta 2")).isEqualTo("1.9");
    }

    @Test
    void phpBelowTheMinimumOrAtTheRestrictionIsRefused() {
        assertThat(refusals(Platform.of("8.0", "aurora-postgresql", "16.8"))).singleElement().asString()
                .contains("requires PHP 8.1.0 or later").contains("run PHP 8.0");
        assertThat(refusals(Platform.of("8.1", "aurora-postgresql", "16.8"))).as("8.1 is any 8.1.x, at least 8.1.0")
                .isEmpty();
        assertThat(refusals(Platform.of("8.3", "aurora-postgresql", "16.8"))).isEmpty();
        assertThat(refusals(Platform.of("8.4", "aurora-postgresql", "16.8"))).singleElement().asString()
                .contains("does not support PHP 8.4 or later");
        assertThat(refusals(Platform.of("8.5.1", "aurora-postgresql", "16.8"))).hasSize(1);
    }

    @Test
    void aMajorOnlyRestrictionReadsAsThatMajor() {
        String xml = "<COMPATIBILITY_MATRIX><MOODLE version=\"3.1\" requires=\"2.7\"><PHP version=\"5.6.5\">"
                + "<RESTRICT function=\"restrict_php_version_7\" /></PHP></MOODLE></COMPATIBILITY_MATRIX>";
        assertThat(MoodleEnvironment.of(xml, "3.1").orElseThrow().phpRestrictedFrom()).isEqualTo("7");
        assertThat(MoodleEnvironment.of(xml, "3.2")).isEmpty();
    }

    @Test
    void aDatabaseBelowTheVendorsMinimumIsRefused() {
        assertThat(refusals(Platform.of("8.3", "aurora-postgresql", "12.22"))).singleElement().asString()
                .contains("requires postgres 13 or later").contains("aurora-postgresql 12.22");
        assertThat(refusals(Platform.of("8.3", "aurora-postgresql", "13.0"))).isEmpty();
        assertThat(refusals(Platform.of("8.3", "aurora-mysql", "8.0.mysql_aurora.3.10.4"))).as("MySQL 8.0").isEmpty();
        assertThat(refusals(Platform.of("8.3", "aurora-mysql", "5.7.mysql_aurora.2.12.5"))).singleElement().asString()
                .contains("requires mysql 8.0 or later").contains("aurora-mysql 5.7");
    }

    @Test
    void aBranchMissingFromEnvironmentXmlIsRefused() {
        MoodleRelease unlisted = new MoodleRelease("moodle/", "2025041400.00", "5.0 (Build: 20250414)", "500",
                Map.of(), ENV_45);
        MoodleRelease noFile = new MoodleRelease("moodle/", "2025041400.00", "5.0", "500", Map.of(), "");

        assertThat(UpgradeCompatibility.refusals(unlisted, NEW_SITE, STACK, List.of())).singleElement().asString()
                .contains("has no <MOODLE version=\"5.0\">");
        assertThat(UpgradeCompatibility.refusals(noFile, NEW_SITE, STACK, List.of())).hasSize(1);
    }

    @Test
    void aPluginOlderThanTheDatabasesIsRefusedAndTheSameOrNewerIsNot() {
        DatabaseRecord site = db("2024100706.00", "4.5.6 (Build: 20250811)", Map.of("local_foo", "2025010101"));

        assertThat(UpgradeCompatibility.refusals(R456, site, STACK,
                List.of(new UpgradeCompatibility.PluginVersion("local_foo", "2025010100", "")))).singleElement()
                .asString().contains("local_foo 2025010100 is older than the 2025010101");
        assertThat(UpgradeCompatibility.refusals(R456, site, STACK,
                List.of(new UpgradeCompatibility.PluginVersion("local_foo", "2025010101", "")))).isEmpty();
        assertThat(UpgradeCompatibility.refusals(R456, site, STACK,
                List.of(new UpgradeCompatibility.PluginVersion("local_bar", "1", "")))).as("new to the database").isEmpty();
    }

    @Test
    void aPluginRequiringANewerMoodleIsRefused() {
        assertThat(UpgradeCompatibility.refusals(R456, NEW_SITE, STACK,
                List.of(new UpgradeCompatibility.PluginVersion("local_foo", "2025010100", "2024100706.01"))))
                .singleElement().asString().contains("requires Moodle 2024100706.01 or later; the release is 2024100706.00");
        assertThat(UpgradeCompatibility.refusals(R456, NEW_SITE, STACK,
                List.of(new UpgradeCompatibility.PluginVersion("local_foo", "2025010100", "2024100706")))).isEmpty();
    }

    @Test
    void everyRefusalIsReportedNotOnlyTheFirst() {
        List<String> all = UpgradeCompatibility.refusals(R456, db("2025041400.00", "3.9.1 (Build: 20200713)"),
                Platform.of("7.4", "aurora-postgresql", "11.9"), List.of());
        assertThat(all).hasSize(4);
    }

    @Test
    void theUpgradeRecordIsReadTolerantly() {
        assertThat(DatabaseRecord.parse(Optional.empty(), "/p").hasDatabase()).isFalse();
        assertThat(DatabaseRecord.parse(Optional.of("{\"state\":\"NONE\"}"), "/p").hasDatabase()).isFalse();
        assertThat(DatabaseRecord.parse(Optional.of("{\"state\":\"RUNNING\"}"), "/p").hasDatabase())
                .as("no database field yet").isFalse();
        DatabaseRecord r = DatabaseRecord.parse(Optional.of("""
                {"state":"DONE","database":{"version":"2024100706.00","release":"4.5.6 (Build: 20250811)","branch":"405"},
                 "plugins":{"local_autopilottest":"2025010101","mod_num":2025010102}}"""), "/p");
        assertThat(r.hasDatabase()).isTrue();
        assertThat(r.version()).isEqualTo("2024100706.00");
        assertThat(r.release()).isEqualTo("4.5.6 (Build: 20250811)");
        assertThat(r.plugins()).containsEntry("local_autopilottest", "2025010101").containsEntry("mod_num", "2025010102");
        assertThat(DatabaseRecord.parse(Optional.of("{\"state\":\"DONE\",\"database\":{\"version\":2024100706.00}}"), "/p")
                .version()).as("a number is read as the same number, never 2.024100706E9").isEqualTo("2024100706");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DatabaseRecord.parse(Optional.of("not json"), "/Moodle/s/Automation/Upgrade"))
                .isInstanceOf(StagingException.class).hasMessageContaining("/Moodle/s/Automation/Upgrade is not a JSON object");
    }

    @Test
    void thePlatformPropertiesAreChecked() {
        assertThat(Platform.of("8.3", "aurora-postgresql", "16.8")).extracting(Platform::vendor, Platform::vendorVersion)
                .containsExactly("postgres", "16.8");
        assertThat(Platform.of("8.3", "aurora-mysql", "8.0.mysql_aurora.3.10.4")).extracting(Platform::vendor,
                Platform::vendorVersion).containsExactly("mysql", "8.0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Platform.of("", "aurora-postgresql", "16.8"))
                .isInstanceOf(ReleaseRequestException.class).hasMessageContaining("InstancePhpVersion");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Platform.of("8.3", "oracle", "19"))
                .hasMessageContaining("DatabaseEngine must be");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Platform.of("8.3", "aurora-mysql", "latest"))
                .hasMessageContaining("DatabaseEngineVersion");
    }

    private static List<String> refusals(Platform p) {
        return UpgradeCompatibility.refusals(R456, NEW_SITE, p, List.of());
    }
}
