package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pins as template.yaml writes them, what they must hold, and the manifest the instances read. */
class PinnedSourcesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REDIS = "f10405f639fe415e9ed4ec99538e72c90694d8dbd62868edcfcd6a453466b48c";
    private static final String AGENT_URL =
            "https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/releases/codedeploy-agent-1.8.1-26.noarch.rpm";

    private static String extensions(String... urlAndSha) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < urlAndSha.length; i += 2) {
            b.append(i == 0 ? "" : ",").append("{\"Url\":\"").append(urlAndSha[i]).append("\",\"Sha256\":\"")
                    .append(urlAndSha[i + 1]).append("\"}");
        }
        return b.append("]").toString();
    }

    private static String agent(String url, String sha) {
        return "{\"Url\":\"" + url + "\",\"Sha256\":\"" + sha + "\"}";
    }

    @Test
    void templatePinsEveryPeclSourceWithAChecksumAndTheAgentByVersionNeverLatest() {
        Map<String, Object> props = CfnTemplate.load().properties("MoodleSource");
        List<?> extensions = (List<?>) props.get(PinnedSources.EXTENSIONS);
        assertThat(extensions).hasSize(2);
        assertThat(extensions).allSatisfy(e -> {
            Map<?, ?> m = (Map<?, ?>) e;
            assertThat(String.valueOf(m.get("Url"))).startsWith("https://pecl.php.net/get/").endsWith(".tgz");
            assertThat(String.valueOf(m.get("Sha256"))).matches("[0-9a-f]{64}");
        });
        assertThat(extensions).extracting(e -> String.valueOf(((Map<?, ?>) e).get("Url")))
                .containsExactly("https://pecl.php.net/get/redis-6.1.0.tgz", "https://pecl.php.net/get/memcached-3.3.0.tgz");
        String agentUrl = String.valueOf(((Map<?, ?>) ((Map<?, ?>) props.get(PinnedSources.AGENT)).get("Url")).get("Fn::Sub"));
        assertThat(agentUrl).isEqualTo("https://aws-codedeploy-${AWS::Region}.s3.${AWS::Region}.${AWS::URLSuffix}"
                + "/releases/codedeploy-agent-1.8.1-26.noarch.rpm").doesNotContain("latest");
    }

    @Test
    void parsesExtensionsAndTheAgent() {
        PinnedSources p = PinnedSources.of(extensions("https://pecl.php.net/get/redis-6.1.0.tgz", REDIS.toUpperCase()),
                agent(AGENT_URL, ""), false);

        assertThat(p.sources()).hasSize(2);
        PinnedSources.PinnedSource redis = p.sources().get(0);
        assertThat(redis.kind()).isEqualTo(PinnedSources.Kind.PHP_EXTENSION);
        assertThat(redis.name()).isEqualTo("redis");
        assertThat(redis.version()).isEqualTo("6.1.0");
        assertThat(redis.expectedSha256()).isEqualTo(REDIS);
        assertThat(redis.stagedPath()).isEqualTo("vendor/redis-6.1.0.tgz");
        PinnedSources.PinnedSource agent = p.sources().get(1);
        assertThat(agent.kind()).isEqualTo(PinnedSources.Kind.CODEDEPLOY_AGENT);
        assertThat(agent.version()).isEqualTo("1.8.1-26");
        assertThat(agent.staged()).isFalse();
        assertThat(agent.hasExpectedChecksum()).isFalse();
    }

    @Test
    void aSourceFromOutsideAwsNeedsItsChecksumAndThePinsMustBeWellFormed() {
        String ok = agent(AGENT_URL, "");
        assertThatThrownBy(() -> PinnedSources.of(extensions("https://pecl.php.net/get/redis-6.1.0.tgz", ""), ok, false))
                .isInstanceOf(ReleaseRequestException.class).hasMessageContaining("has no Sha256");
        assertThatThrownBy(() -> PinnedSources.of(extensions("http://pecl.php.net/get/redis-6.1.0.tgz", REDIS), ok, false))
                .hasMessageContaining("PhpExtensions must be an https:// URL");
        assertThatThrownBy(() -> PinnedSources.of(extensions("https://pecl.php.net/get/redis", REDIS), ok, false))
                .hasMessageContaining("PECL file name");
        assertThatThrownBy(() -> PinnedSources.of("{\"Url\":\"x\"}", ok, false)).hasMessageContaining("must be a list");
        assertThatThrownBy(() -> PinnedSources.of("", ok, false)).hasMessageContaining("PhpExtensions is not set");
        assertThatThrownBy(() -> PinnedSources.of("not json", ok, false)).hasMessageContaining("not a list");
        String one = extensions("https://pecl.php.net/get/redis-6.1.0.tgz", REDIS);
        assertThatThrownBy(() -> PinnedSources.of(one, agent(
                "https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/install", ""), false))
                .hasMessageContaining("never latest/");
        assertThatThrownBy(() -> PinnedSources.of(one, agent(AGENT_URL, "xyz"), false))
                .hasMessageContaining("64 hexadecimal");
        assertThatThrownBy(() -> PinnedSources.of(one, "[]", false)).hasMessageContaining("CodeDeployAgent must be");
        assertThatThrownBy(() -> PinnedSources.of(one, null, false)).hasMessageContaining("CodeDeployAgent is not set");
        assertThatThrownBy(() -> PinnedSources.of(extensions("https://pecl.php.net/get/redis-6.1.0.tgz", REDIS,
                "https://pecl.php.net/get/redis-6.1.1.tgz", REDIS), ok, false)).hasMessageContaining("redis twice");
    }

    @Test
    void theDigestFollowsUrlsAndChecksums() {
        String ext = extensions("https://pecl.php.net/get/redis-6.1.0.tgz", REDIS);
        String d = PinnedSources.of(ext, agent(AGENT_URL, ""), false).digest();
        assertThat(d).matches("[0-9a-f]{64}").isEqualTo(PinnedSources.of(ext, agent(AGENT_URL, ""), false).digest());
        assertThat(PinnedSources.of(ext, agent(AGENT_URL, "a".repeat(64)), false).digest()).isNotEqualTo(d);
        assertThat(PinnedSources.of(extensions("https://pecl.php.net/get/redis-6.1.0.tgz", "b".repeat(64)),
                agent(AGENT_URL, ""), false).digest()).isNotEqualTo(d);
        assertThat(PinnedSources.of(ext, agent(AGENT_URL.replace("1.8.1-26", "1.8.0-17"), ""), false).digest())
                .isNotEqualTo(d);
        assertThat(PinnedSources.none().digest()).isEmpty();
    }

    @Test
    void theManifestNamesEachFileItsChecksumAndTheAgentsUrl() throws Exception {
        PinnedSources p = PinnedSources.of(extensions("https://pecl.php.net/get/redis-6.1.0.tgz", REDIS),
                agent(AGENT_URL, ""), false);
        byte[] manifest = PinnedSources.manifest(List.of(
                new PinnedSources.Fetched(p.sources().get(0), REDIS, 10, Path.of("x")),
                new PinnedSources.Fetched(p.sources().get(1), "c".repeat(64), 20, null)));

        JsonNode m = JSON.readTree(manifest);
        assertThat(m.path("php_extensions").path("redis").path("file").asText()).isEqualTo("vendor/redis-6.1.0.tgz");
        assertThat(m.path("php_extensions").path("redis").path("sha256").asText()).isEqualTo(REDIS);
        assertThat(m.path("php_extensions").path("redis").path("version").asText()).isEqualTo("6.1.0");
        assertThat(m.path("codedeploy_agent").path("url").asText()).isEqualTo(AGENT_URL);
        assertThat(m.path("codedeploy_agent").path("sha256").asText()).isEqualTo("c".repeat(64));
        assertThat(m.path("codedeploy_agent").has("file")).isFalse();
    }
}
