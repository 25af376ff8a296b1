package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Aurora's engine version is a parameter per engine whose default is a version AWS still offers (a
 * long-term support minor), whose allowed values keep the cluster parameter group's family right, and
 * which no automatic minor upgrade moves away from under the template (docs/decisions.md, "Aurora
 * engine versions").
 */
class DatabaseVersionTest {
    /**
     * The defaults, checked in November 2026: Aurora PostgreSQL 16.8 is the LTS minor of 16 (Aurora
     * PostgreSQL release notes, "Release calendars for Aurora PostgreSQL": end of standard support
     * 28 February 2029; 16.6, the previous default, ended May 2026); Aurora MySQL 3.10 is the current
     * LTS minor of 3 (Aurora User Guide, "Long-term support (LTS) and beta releases for Amazon Aurora
     * MySQL"), 3.10.4 a patch of it (Aurora MySQL release notes, 2026-03-30). Change them together with
     * the template and the sources in docs/decisions.md.
     */
    private static final Map<String, String> CHECKED_DEFAULTS = Map.of(
            "aurora-postgresql", "16.8",
            "aurora-mysql", "8.0.mysql_aurora.3.10.4");

    private static final Map<String, String> VERSION_PARAMETER = Map.of(
            "aurora-postgresql", "DatabasePostgresVersion",
            "aurora-mysql", "DatabaseMySqlVersion");

    private final CfnTemplate template = CfnTemplate.load();

    private CfnTemplate.Resolver resolver(String engine, Map<String, String> more) {
        Map<String, String> p = new java.util.HashMap<>(more);
        p.put("DatabaseEngine", engine);
        return new CfnTemplate.Resolver(template, "moodle", p, Map.of());
    }

    @Test
    void eachEngineTakesItsVersionFromItsOwnParameterWhoseDefaultWasChecked() {
        for (String engine : CHECKED_DEFAULTS.keySet()) {
            String parameter = VERSION_PARAMETER.get(engine);
            assertThat(template.section("Parameters")).as("template parameters").containsKey(parameter);
            assertThat(template.parameterDefaults().get(parameter)).as("%s default", parameter)
                    .isEqualTo(CHECKED_DEFAULTS.get(engine));
            Object version = template.properties("DatabaseCluster").get("EngineVersion");
            assertThat(resolver(engine, Map.of()).string(version)).as("EngineVersion for %s", engine)
                    .isEqualTo(CHECKED_DEFAULTS.get(engine));
            assertThat(resolver(engine, Map.of(parameter, "sentinel")).string(version))
                    .as("EngineVersion for %s follows %s", engine, parameter).isEqualTo("sentinel");
        }
    }

    /** The family is aurora-postgresql<major> / aurora-mysql<8.0>: no allowed version may leave it. */
    @Test
    void everyAllowedVersionKeepsTheParameterGroupFamilyOfItsEngine() {
        Map<String, List<String>> otherMajors = Map.of(
                "aurora-postgresql", List.of("17.7", "15.10", "16", "16.8.5", "8.0.mysql_aurora.3.10.4"),
                "aurora-mysql", List.of("5.7.mysql_aurora.2.12.5", "8.4.7", "3.10.4", "16.8", "8.0.mysql_aurora.3.10"));
        Map<String, List<String>> sameMajor = Map.of(
                "aurora-postgresql", List.of("16.8", "16.11", "16.4"),
                "aurora-mysql", List.of("8.0.mysql_aurora.3.10.4", "8.0.mysql_aurora.3.04.6", "8.0.mysql_aurora.3.12.0"));
        List<String> wrong = new ArrayList<>();
        for (String engine : CHECKED_DEFAULTS.keySet()) {
            Map<String, Object> p = CfnTemplate.map(template.section("Parameters").get(VERSION_PARAMETER.get(engine)));
            assertThat(p).as(VERSION_PARAMETER.get(engine)).containsKey("AllowedPattern");
            Pattern allowed = Pattern.compile(String.valueOf(p.get("AllowedPattern")));
            String family = resolver(engine, Map.of()).string(template.properties("DatabaseClusterParameterGroup").get("Family"));
            for (String v : sameMajor.get(engine)) {
                if (!allowed.matcher(v).matches()) {
                    wrong.add(engine + ": " + v + " refused");
                }
                if (!family.equals(familyOf(engine, v))) {
                    wrong.add(engine + ": family " + family + " but " + v + " is " + familyOf(engine, v));
                }
            }
            for (String v : otherMajors.get(engine)) {
                if (allowed.matcher(v).matches()) {
                    wrong.add(engine + ": " + v + " admitted (not of family " + family + ")");
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static String familyOf(String engine, String version) {
        return engine.equals("aurora-postgresql")
                ? "aurora-postgresql" + version.substring(0, version.indexOf('.'))
                : "aurora-mysql" + version.substring(0, version.indexOf(".mysql_aurora"));
    }

    /**
     * A pinned minor with automatic minor upgrades on drifts: RDS moves the cluster past the template's
     * version, and the next update that sends the template's version is a downgrade RDS refuses.
     */
    @Test
    void noDatabaseInstanceUpgradesItsMinorVersionBehindTheTemplate() {
        List<String> instances = new ArrayList<>();
        template.section("Resources").forEach((id, r) -> {
            if ("AWS::RDS::DBInstance".equals(CfnTemplate.map(r).get("Type"))) {
                instances.add(id);
                for (String engine : CHECKED_DEFAULTS.keySet()) {
                    Object auto = template.properties(id).get("AutoMinorVersionUpgrade");
                    assertThat(resolver(engine, Map.of()).string(auto)).as("%s AutoMinorVersionUpgrade (%s)", id, engine)
                            .isEqualTo("false");
                }
            }
        });
        assertThat(instances).as("Aurora instances").isNotEmpty();
        Object clusterAuto = template.properties("DatabaseCluster").get("AutoMinorVersionUpgrade");
        assertThat(clusterAuto == null || "false".equals(String.valueOf(clusterAuto)))
                .as("DatabaseCluster AutoMinorVersionUpgrade absent or false").isTrue();
    }

    @Test
    void theDeploymentGuideAndTheRunbookSayHowToCheckTheVersionsAgain() throws IOException {
        for (String doc : List.of("docs/architecture.md", "docs/runbook.md")) {
            String text = Files.readString(CfnTemplate.repositoryRoot().resolve(doc));
            assertThat(text).as(doc).contains("aws rds describe-db-engine-versions --engine aurora-postgresql")
                    .contains("aws rds describe-db-engine-versions --engine aurora-mysql");
        }
    }
}
