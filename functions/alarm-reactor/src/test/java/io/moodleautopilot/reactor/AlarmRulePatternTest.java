package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.alarm.AlarmPolicy;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EventBridge rule in front of the AlarmReactor delivers exactly this stack's alarms. A prefix
 * "<stack>-" also delivered "<stack>-app-cache-cpu" of a stack named "<stack>-app", which the reactor
 * then took for its own application cache alarm.
 */
class AlarmRulePatternTest {
    private static final CfnTemplate TEMPLATE = CfnTemplate.load();

    private static Map<String, Object> pattern() {
        Map<String, Object> fn = TEMPLATE.properties("AlarmReactorFunction");
        return map(map(map(map(fn.get("Events")).get("StackAlarmChanged"))
                .get("Properties")).get("Pattern"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    private static CfnTemplate.Resolver resolver(String stack, String engine) {
        return new CfnTemplate.Resolver(TEMPLATE, stack,
                // Memcached is offered for sessions only (the template's allowed values).
                Map.of("SessionCacheEngine", engine, "ApplicationCacheEngine", engine.equals("memcached") ? "none" : engine),
                Map.of());
    }

    /** The pattern's alarmName entries as deployed: an !If that resolves to AWS::NoValue is left out. */
    private static List<Object> alarmNameMatchers(CfnTemplate.Resolver r) {
        List<Object> out = new ArrayList<>();
        for (Object entry : (List<?>) map(pattern().get("detail")).get("alarmName")) {
            Object v = r.resolve(entry);
            if (v instanceof Map<?, ?> m && m.containsKey("prefix")) {
                out.add(Map.of("prefix", r.string(m.get("prefix"))));
            } else if (!"".equals(v)) {
                out.add(r.string(v));
            }
        }
        return out;
    }

    /** EventBridge's matching for the shapes a string list may take here: exact strings and {prefix: ...}. */
    private static boolean matches(List<Object> matchers, String alarmName) {
        for (Object m : matchers) {
            if (m instanceof Map<?, ?> p ? alarmName.startsWith(String.valueOf(p.get("prefix"))) : m.equals(alarmName)) {
                return true;
            }
        }
        return false;
    }

    /** Every alarm the template creates under these parameters, by name. */
    private static Set<String> alarmsOfTheStack(CfnTemplate.Resolver r) {
        Set<String> out = new TreeSet<>();
        TEMPLATE.section("Resources").forEach((id, body) -> {
            Map<String, Object> res = map(body);
            if (!"AWS::CloudWatch::Alarm".equals(res.get("Type"))) {
                return;
            }
            Object condition = res.get("Condition");
            boolean exists = condition == null
                    || "yes".equals(r.resolve(Map.of("Fn::If", List.of(String.valueOf(condition), "yes", "no"))));
            if (exists) {
                out.add(r.string(map(res.get("Properties")).get("AlarmName")));
            }
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"valkey", "memcached", "serverless", "none"})
    void theRuleListsExactlyTheAlarmsTheStackCreatesAndTheReactorKnows(String engine) {
        CfnTemplate.Resolver r = resolver("moodle", engine);
        List<Object> matchers = alarmNameMatchers(r);

        assertThat(matchers).allSatisfy(m -> assertThat(m).isInstanceOf(String.class));
        assertThat(new TreeSet<>(matchers.stream().map(String::valueOf).toList())).isEqualTo(alarmsOfTheStack(r));
        assertThat(matchers).allSatisfy(m -> assertThat(AlarmPolicy.ruleFor("moodle", (String) m)).isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "serverless"})
    void anotherStacksAlarmsAreNotDelivered(String engine) {
        List<Object> matchers = alarmNameMatchers(resolver("moodle", engine));

        assertThat(matches(matchers, "moodle-web-cpu-high")).isTrue();
        assertThat(matches(matchers, "moodle-db-cpu")).isTrue();
        // Stack "moodle-app"'s cache alarms, and other stacks sharing the prefix.
        for (String foreign : List.of("moodle-app-cache-cpu", "moodle-app-cache-evictions", "moodle-staging-db-cpu",
                "moodle-web-web-cpu-high", "moodle-web-cpu-high-evil", "moodle2-web-cpu-high", "moodle-", "moodle-x")) {
            assertThat(matches(matchers, foreign)).as(foreign).isFalse();
        }
    }

    /**
     * With node-based application caches the stack owns "moodle-app-cache-cpu" itself (CloudWatch alarm
     * names are unique per account and region, so no "moodle-app" stack can hold that name then); the
     * other stacks' names stay out.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"valkey,valkey", "redis,redis", "memcached,valkey"})
    void withItsOwnCachesOnlyItsOwnCacheAlarmsAreDelivered(String sessionEngine, String applicationEngine) {
        // Memcached is a session cache only (Moodle removed its memcached application cache store in 4.2).
        List<Object> matchers = alarmNameMatchers(new CfnTemplate.Resolver(TEMPLATE, "moodle",
                Map.of("SessionCacheEngine", sessionEngine, "ApplicationCacheEngine", applicationEngine), Map.of()));

        assertThat(matches(matchers, "moodle-app-cache-cpu")).isTrue();
        assertThat(matches(matchers, "moodle-cache-evictions")).isTrue();
        for (String foreign : List.of("moodle-staging-db-cpu", "moodle-web-web-cpu-high", "moodle-app-x")) {
            assertThat(matches(matchers, foreign)).as(foreign).isFalse();
        }
    }

    /**
     * The local runner (scripts/local_stack.py route()) delivers events with moto's own pattern engine;
     * moto's CloudFormation turns AWS::NoValue into null, so the deployed list carries nulls there.
     * With a serverless session cache and no application cache, none of the cache alarms exist.
     */
    @Test
    void motosPatternEngineAgrees() throws Exception {
        Path python = CfnTemplate.repositoryRoot().resolve(".venv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(python), "no .venv with moto");
        CfnTemplate.Resolver r = new CfnTemplate.Resolver(TEMPLATE, "moodle",
                Map.of("SessionCacheEngine", "serverless", "ApplicationCacheEngine", "none"), Map.of());
        List<Object> names = new ArrayList<>();
        for (Object entry : (List<?>) map(pattern().get("detail")).get("alarmName")) {
            Object v = r.resolve(entry);
            names.add("".equals(v) ? null : r.string(v));
        }
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        String patternJson = mapper.writeValueAsString(Map.of("source", List.of("aws.cloudwatch"),
                "detail-type", List.of("CloudWatch Alarm State Change"), "detail", Map.of("alarmName", names)));
        String script = String.join("\n",
                "import json, sys",
                "from moto.events.models import EventPattern",
                "p = EventPattern.load(sys.argv[1])",
                "for n in sys.argv[2:]:",
                "    e = {'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', 'detail': {'alarmName': n}}",
                "    print(n, p.matches_event(e))");
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", script, patternJson,
                "moodle-web-cpu-high", "moodle-efs-throughput", "moodle-app-cache-cpu", "moodle-cache-cpu",
                "moodle-staging-db-cpu", "moodle-web-web-cpu-high"));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(proc.waitFor()).as(out).isZero();
        assertThat(out.lines().toList()).containsExactly("moodle-web-cpu-high True", "moodle-efs-throughput True",
                "moodle-app-cache-cpu False", "moodle-cache-cpu False", "moodle-staging-db-cpu False",
                "moodle-web-web-cpu-high False");
    }
}
