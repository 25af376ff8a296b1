package io.moodleautopilot.source;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The pinned sources of template.yaml's MoodleSource, served by the test's local server instead of
 * pecl.php.net and AWS's regional bucket (neither is reachable here): PECL-shaped tarballs
 * (package.xml beside {@code <name>-<version>/}) and a stand-in for the agent's package, with the
 * properties CloudFormation would send for them (their real SHA-256s).
 */
final class PinnedFixture {
    static final String REDIS_PATH = "/pecl/get/redis-6.1.0.tgz";
    static final String MEMCACHED_PATH = "/pecl/get/memcached-3.3.0.tgz";
    static final String AGENT_PATH = "/aws-codedeploy-us-east-1/releases/codedeploy-agent-1.8.1-26.noarch.rpm";

    final byte[] redis = peclTarball("redis", "6.1.0");
    final byte[] memcached = peclTarball("memcached", "3.3.0");
    final byte[] agent = "stand-in for codedeploy-agent-1.8.1-26.noarch.rpm".getBytes(StandardCharsets.UTF_8);
    private final LocalHttp http;

    PinnedFixture(LocalHttp http) {
        this.http = http;
        http.serve(REDIS_PATH, redis).serve(MEMCACHED_PATH, memcached).serve(AGENT_PATH, agent);
    }

    /** PhpExtensions and CodeDeployAgent as template.yaml gives them, pointed at the local server. */
    Map<String, Object> properties() {
        return properties(Archives.sha256(redis), Archives.sha256(memcached), "");
    }

    Map<String, Object> properties(String redisSha, String memcachedSha, String agentSha) {
        return Map.of(
                "PhpExtensions", List.of(
                        Map.of("Url", http.url(REDIS_PATH), "Sha256", redisSha),
                        Map.of("Url", http.url(MEMCACHED_PATH), "Sha256", memcachedSha)),
                "CodeDeployAgent", Map.of("Url", http.url(AGENT_PATH), "Sha256", agentSha));
    }

    static byte[] peclTarball(String name, String version) {
        return Archives.tarGz(Map.of(
                "package.xml", "<package><name>" + name + "</name><version><release>" + version
                        + "</release></version></package>\n",
                name + "-" + version + "/config.m4", "PHP_ARG_ENABLE(" + name + ")\n"));
    }
}
