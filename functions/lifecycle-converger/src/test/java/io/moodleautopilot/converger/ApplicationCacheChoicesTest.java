package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.moodleconfig.ApplicationCache;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The application cache choices agree across the template's allowed values, the converger and the
 * docs: every offered engine is one Moodle can use (memcached is not: Moodle removed its memcached
 * cache store in 4.2), while memcached stays a session cache option.
 */
class ApplicationCacheChoicesTest {
    @SuppressWarnings("unchecked")
    private static List<String> allowed(String parameter) {
        Map<String, Object> p = (Map<String, Object>) CfnTemplate.load().section("Parameters").get(parameter);
        return ((List<Object>) p.get("AllowedValues")).stream().map(String::valueOf).toList();
    }

    @Test
    void everyOfferedApplicationCacheIsOneMoodleCanUse() {
        List<String> offered = allowed("ApplicationCacheEngine");

        assertThat(offered).containsExactly("none", "redis", "valkey", "serverless");
        for (String engine : offered) {
            ApplicationCache cache = ApplicationCache.fromStack(engine, "cache.example.com", "", "true");
            if (!engine.equals("none")) {
                assertThat(cache.engine()).as(engine).isEqualTo("redis");
                assertThat(cache.refusal()).as(engine).isEmpty();
                assertThat(cache.tls()).as(engine).isTrue();
            }
        }
        // A stack created when memcached was offered is told why its application cache is not configured.
        assertThat(ApplicationCache.fromStack("memcached", "cache.example.com", "", "false").refusal()).isPresent();
        assertThat(allowed("SessionCacheEngine")).contains("memcached");
    }

    @Test
    void theDocsListTheSameChoices() throws Exception {
        String architecture = Files.readString(CfnTemplate.repositoryRoot().resolve("docs/architecture.md"));

        assertThat(architecture).contains("| `ApplicationCacheEngine` | `valkey` | "
                + String.join(", ", allowed("ApplicationCacheEngine")) + " |");
    }
}
