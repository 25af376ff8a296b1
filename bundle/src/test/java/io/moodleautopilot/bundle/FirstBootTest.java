package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bootstrap's first-boot steps in lib.sh, run for real with bash on a fake instance: waiting
 * for what a new stack may still be creating (the site configuration, a role seconds old), and the
 * last step, which completes the group's launch hook (the instance id from an IMDSv2 stand-in that
 * insists on its session token, as the real one does with HttpTokens required).
 */
class FirstBootTest {
    static final String INSTANCE = "i-0123456789abcdef0";

    @TempDir
    Path tmp;

    FakeInstance instance;
    HttpServer imds;
    final AtomicInteger imdsRequests = new AtomicInteger();

    @BeforeEach
    void setUp() throws IOException {
        instance = new FakeInstance(tmp);
        imds = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        imds.createContext("/latest/api/token", x -> {
            imdsRequests.incrementAndGet();
            boolean ok = x.getRequestMethod().equals("PUT")
                    && x.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds") != null;
            reply(x, ok ? 200 : 400, ok ? "token-abc" : "");
        });
        imds.createContext("/latest/meta-data/instance-id", x -> {
            imdsRequests.incrementAndGet();
            boolean ok = "token-abc".equals(x.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"));
            reply(x, ok ? 200 : 401, ok ? INSTANCE : "");
        });
        imds.start();
    }

    @AfterEach
    void stop() {
        imds.stop(0);
    }

    static void reply(com.sun.net.httpserver.HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Runs a bash snippet with lib.sh sourced, on the fake instance, with short waits. */
    Bundle.Result lib(String snippet, Map<String, String> extraEnv) {
        Map<String, String> env = instance.env();
        env.put("LATE_WAIT_SECONDS", "4");
        env.put("LATE_RETRY_SECONDS", "1");
        env.put("IMDS_ENDPOINT", "http://127.0.0.1:" + imds.getAddress().getPort());
        env.putAll(extraEnv);
        String script = "set -euo pipefail\nsource '" + Bundle.files().resolve("scripts/lib.sh") + "'\n" + snippet + "\n";
        return Bundle.run(List.of("bash", "-c", script), env, null, tmp);
    }

    Bundle.Result lib(String snippet) {
        return lib(snippet, Map.of());
    }

    ObjectNode site() {
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("web_group", FakeInstance.STACK + "-web");
        site.put("launch_hook", "moodle-bootstrap");
        return site;
    }

    void late(String name, int calls) {
        Bundle.write(instance.awsDir.resolve("late").resolve(name), String.valueOf(calls));
    }

    List<String> awsCalls() {
        Path log = instance.awsDir.resolve("calls.log");
        return Files.exists(log) ? Bundle.read(log).lines().toList() : List.of();
    }

    // ------------------------------------------------------------------------------------------
    // What can be late
    // ------------------------------------------------------------------------------------------

    @Test
    void aSiteConfigurationThatAppearsLateIsWaitedForWithAProgressLine() {
        instance.putSiteConfig(site());
        late(FakeInstance.key("/Moodle/" + FakeInstance.STACK + "/Site/Config"), 2);

        Bundle.Result r = lib("wait_for_site_config");

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(Bundle.parse(r.stdout()).path("launch_hook").asText()).isEqualTo("moodle-bootstrap");
        assertThat(r.stderr().lines().filter(l -> l.contains("not available yet")).toList()).hasSize(2)
                .allMatch(l -> l.contains("/Moodle/" + FakeInstance.STACK + "/Site/Config") && l.contains("ParameterNotFound"));
        assertThat(Bundle.read(instance.log)).contains("retrying in 1s");
        assertThat(awsCalls()).hasSize(3);
    }

    @Test
    void aSiteConfigurationThatNeverAppearsFailsAfterTheWait() {
        Bundle.Result r = lib("wait_for_site_config");

        assertThat(r.exit()).isNotZero();
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("still failing after").contains("ParameterNotFound");
        assertThat(awsCalls().size()).isBetween(3, 7);
    }

    @Test
    void onlyTheSucceedingAttemptsOutputPassesThrough() {
        Bundle.Result r = lib("flaky() { local n; n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo \"$n\" >count;"
                + " echo \"attempt $n\"; echo \"failure $n\" >&2; [ \"$n\" -ge 2 ]; }\n"
                + "out=$(retry_late 'a flaky thing' flaky); printf '[%s]' \"$out\"");

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).isEqualTo("[attempt 2]");
        assertThat(r.stderr()).contains("a flaky thing: not available yet (failure 1)");
    }

    // ------------------------------------------------------------------------------------------
    // The launch hook
    // ------------------------------------------------------------------------------------------

    @Test
    void theLastStepCompletesThisInstancesLaunchHookWithContinue() {
        Bundle.write(instance.awsDir.resolve("lifecycle").resolve(INSTANCE), "");

        Bundle.Result r = lib("complete_launch_hook \"$SITE\"", Map.of("SITE", site().toString()));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(instance.awsDir.resolve("lifecycle/completed").resolve(INSTANCE)).hasContent("CONTINUE");
        assertThat(awsCalls()).containsExactly("--region eu-west-1 autoscaling complete-lifecycle-action"
                + " --auto-scaling-group-name autopilot-test-web --lifecycle-hook-name moodle-bootstrap"
                + " --instance-id " + INSTANCE + " --lifecycle-action-result CONTINUE");
        assertThat(r.stderr()).contains("completed for " + INSTANCE);
    }

    @Test
    void aRoleThatCannotYetCompleteTheHookIsRetried() {
        Bundle.write(instance.awsDir.resolve("lifecycle").resolve(INSTANCE), "");
        late("lifecycle-" + INSTANCE, 2);

        Bundle.Result r = lib("complete_launch_hook \"$SITE\"", Map.of("SITE", site().toString()));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(instance.awsDir.resolve("lifecycle/completed").resolve(INSTANCE)).hasContent("CONTINUE");
        assertThat(r.stderr()).contains("AccessDenied");
        assertThat(awsCalls()).hasSize(3);
    }

    @Test
    void noWaitingActionIsNotAnErrorAndIsNotRetried() {
        Bundle.Result r = lib("complete_launch_hook \"$SITE\"", Map.of("SITE", site().toString()));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).contains("nothing to complete");
        assertThat(awsCalls()).hasSize(1);
    }

    @Test
    void aSiteConfigurationWithoutAHookCompletesNothing() {
        Bundle.Result r = lib("complete_launch_hook \"$SITE\"",
                Map.of("SITE", Bundle.siteConfig(FakeInstance.STACK).toString()));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(awsCalls()).isEmpty();
        assertThat(imdsRequests).hasValue(0);
    }

    @Test
    void anInstanceIdIsOnlyGivenForAnImdsV2Token() {
        Bundle.Result withToken = lib("instance_id");
        assertThat(withToken.exit()).as(withToken.all()).isZero();
        assertThat(withToken.stdout()).isEqualTo(INSTANCE);

        Bundle.Result unreachable = lib("complete_launch_hook \"$SITE\"",
                Map.of("SITE", site().toString(), "IMDS_ENDPOINT", "http://127.0.0.1:1"));
        assertThat(unreachable.exit()).isNotZero();
        assertThat(unreachable.stderr()).contains("instance metadata service");
        assertThat(awsCalls()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------
    // The memcached extension
    // ------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"memcached,valkey,required", "valkey,memcached,required", "memcached,memcached,required",
            "valkey,valkey,optional", "none,none,optional", "serverless,redis,optional"})
    void theMemcachedExtensionIsRequiredWhenEitherCacheIsMemcached(String session, String app, String expected) {
        ObjectNode site = site();
        site.put("session_cache_engine", session);
        site.put("app_cache_engine", app);

        Bundle.Result r = lib("memcached_extension \"$SITE\"", Map.of("SITE", site.toString()));

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).isEqualTo(expected);
    }

    @Test
    void theBootstrapWaitsForItsSiteConfigurationAndCompletesItsLaunchHookLast() {
        String bootstrap = Bundle.read(Bundle.files().resolve("scripts/bootstrap.sh"));
        assertThat(bootstrap).contains("SITE_JSON=$(wait_for_site_config)").doesNotContain("$(fetch_site_config)");
        List<String> lines = new ArrayList<>(bootstrap.strip().lines().toList());
        assertThat(lines.get(lines.size() - 1)).isEqualTo("log \"bootstrap complete\"");
        assertThat(lines.get(lines.size() - 2)).isEqualTo("complete_launch_hook \"$SITE_JSON\"");
        // The memcached extension's build fails the bootstrap when a cache engine is memcached.
        assertThat(bootstrap).contains("MEMCACHED_EXTENSION=$(memcached_extension \"$SITE_JSON\")")
                .contains("pecl_extension \"$PECL_MEMCACHED\" \"$MEMCACHED_EXTENSION\"")
                .contains("\"php$PHP_VERSION-process\"");
    }
}
