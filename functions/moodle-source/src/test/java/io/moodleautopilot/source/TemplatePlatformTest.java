package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What template.yaml tells MoodleSource about the platform is what the stack runs: the PHP the
 * bootstrap installs, and the database parameters the cluster is built from.
 */
class TemplatePlatformTest {
    private final CfnTemplate template = CfnTemplate.load();

    @Test
    void instancePhpVersionIsTheStreamTheBootstrapInstalls() throws Exception {
        String bootstrap = Files.readString(CfnTemplate.repositoryRoot().resolve("bundle/files/scripts/bootstrap.sh"));
        Matcher m = Pattern.compile("(?m)^PHP_VERSION=([0-9.]+)$").matcher(bootstrap);
        assertThat(m.find()).as("bootstrap.sh sets PHP_VERSION").isTrue();

        assertThat(template.properties("MoodleSource").get("InstancePhpVersion")).isEqualTo(m.group(1));
    }

    @Test
    void theDatabasePropertiesAreTheClustersParameters() {
        Map<String, Object> props = template.properties("MoodleSource");
        assertThat(props.get("DatabaseEngine")).isEqualTo(Map.of("Ref", "DatabaseEngine"));
        // The same choice as the cluster's EngineVersion, so the check sees the version that runs.
        assertThat(props.get("DatabaseEngineVersion")).isEqualTo(template.properties("DatabaseCluster").get("EngineVersion"));
        assertThat(props.get("Plugins")).isEqualTo(Map.of("Ref", "MoodlePlugins"));
    }
}
