package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CloudWatch agent's configuration as bootstrap.sh renders it (lib.sh render_agent_config, with
 * the site configuration's log_group and log_retention_days): every file goes to the stack's web log
 * group with that group's retention, so a group the agent creates again (the stack's deleted while
 * an instance still ran) expires like the stack's own.
 */
class CloudWatchAgentConfigTest {

    private static JsonNode render(String group, String days) {
        String script = "source \"$1\"; render_agent_config \"$2\" \"$3\" \"$4\"";
        Bundle.Result r = Bundle.run(command("bash", "-c", script, "render",
                Bundle.files().resolve("scripts/lib.sh").toString(),
                Bundle.files().resolve("config/amazon-cloudwatch-agent.json").toString(), group, days),
                Map.of(), null, null);
        assertThat(r.exit()).as(r.all()).isZero();
        return Bundle.parse(r.stdout());
    }

    @Test
    void everyLogFileGoesToTheSitesGroupWithItsRetention() {
        JsonNode site = Bundle.siteConfig("moodle");
        JsonNode agent = render(site.path("log_group").asText(), site.path("log_retention_days").asText());

        List<JsonNode> entries = new ArrayList<>();
        agent.path("logs").path("logs_collected").path("files").path("collect_list").forEach(entries::add);
        assertThat(entries).hasSizeGreaterThanOrEqualTo(6);
        for (JsonNode e : entries) {
            assertThat(e.path("log_group_name").asText()).as(e.toString()).isEqualTo("/moodle/moodle/web");
            assertThat(e.path("retention_in_days").isInt()).as("a number, as the agent reads it: " + e).isTrue();
            assertThat(e.path("retention_in_days").asInt()).isEqualTo(90);
        }
        // The rest of the file is left as it is.
        assertThat(agent.path("metrics")).isEqualTo(Bundle.parse(Bundle.read(
                Bundle.files().resolve("config/amazon-cloudwatch-agent.json"))).path("metrics"));
    }

    @Test
    void theFileInTheBundleHasPlaceholdersForBoth() {
        JsonNode agent = Bundle.parse(Bundle.read(Bundle.files().resolve("config/amazon-cloudwatch-agent.json")));
        agent.path("logs").path("logs_collected").path("files").path("collect_list").forEach(e -> {
            assertThat(e.path("log_group_name").asText()).isEqualTo("@LOG_GROUP@");
            assertThat(e.path("retention_in_days").asText()).as("bootstrap.sh puts the stack's LogRetentionDays here")
                    .isEqualTo("@LOG_RETENTION_DAYS@");
        });
        assertThat(Bundle.read(Bundle.files().resolve("scripts/bootstrap.sh")))
                .contains("render_agent_config \"$BUNDLE_DIR/config/amazon-cloudwatch-agent.json\"")
                .contains("json_get \"$SITE_JSON\" log_retention_days");
    }

    @Test
    void aRetentionThatIsNotANumberFailsTheRender() {
        String script = "source \"$1\"; render_agent_config \"$2\" /moodle/m/web 'ninety'";
        Bundle.Result r = Bundle.run(command("bash", "-c", script, "render",
                Bundle.files().resolve("scripts/lib.sh").toString(),
                Bundle.files().resolve("config/amazon-cloudwatch-agent.json").toString()), Map.of(), null, null);
        assertThat(r.exit()).isNotZero();
    }
}
