package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.alarm.AlarmKind;
import io.moodleautopilot.core.alarm.AlarmPolicy;
import io.moodleautopilot.core.alarm.AlarmRule;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlarmPolicyTest {
    /** GitHub's anchor for a Markdown heading. */
    private static String anchor(String heading) {
        return heading.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 -]", "").replace(' ', '-');
    }

    @Test
    void everyRunbookStepExistsInTheRunbook() throws Exception {
        Set<String> anchors = new HashSet<>();
        for (String line : Files.readAllLines(CfnTemplate.repositoryRoot().resolve("docs/runbook.md"))) {
            if (line.startsWith("#")) {
                anchors.add(anchor(line.replaceFirst("^#+", "")));
            }
        }
        for (AlarmRule rule : AlarmPolicy.RULES) {
            assertThat(rule.runbookStep()).startsWith("docs/runbook.md#");
            assertThat(anchors).as("runbook section for " + rule.suffix())
                    .contains(rule.runbookStep().substring("docs/runbook.md#".length()));
        }
    }

    @Test
    void theTemplatesAlarmsAreAllCoveredByThePolicy() {
        var resources = CfnTemplate.load().section("Resources");
        resources.forEach((id, r) -> {
            @SuppressWarnings("unchecked")
            var res = (java.util.Map<String, Object>) r;
            if ("AWS::CloudWatch::Alarm".equals(res.get("Type"))) {
                @SuppressWarnings("unchecked")
                var name = (java.util.Map<String, Object>) ((java.util.Map<String, Object>) res.get("Properties")).get("AlarmName");
                String sub = String.valueOf(name.get("Fn::Sub"));
                assertThat(AlarmPolicy.ruleFor("moodle", sub.replace("${AWS::StackName}", "moodle"))).as(id).isPresent();
            }
        });
        assertThat(AlarmPolicy.ruleFor("moodle", "moodle-web-cpu-high").orElseThrow().kind()).isEqualTo(AlarmKind.WEB_CPU_HIGH);
        assertThat(AlarmPolicy.ruleFor("moodle", "moodle2-web-cpu-high")).isEmpty();
        assertThat(AlarmPolicy.ruleFor("moodle", "other-alb-5xx")).isEmpty();
    }
}
