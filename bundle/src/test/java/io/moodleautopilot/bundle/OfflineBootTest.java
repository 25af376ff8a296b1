package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A boot with no route to the internet except the AWS endpoints must succeed: scripts/bootstrap.sh
 * runs whole, as UserData starts it, in a network namespace that reaches nothing at all, with fakes
 * on PATH that answer for AWS (S3 through the gateway endpoint, the AL2023 repositories, the other
 * APIs, the instance metadata service) and record, as BLOCKED, any request to anywhere else
 * (curl, dnf, pecl, wget, git, pip, ...). /etc, /opt and /var are overlays in a private mount
 * namespace (test resource offline-instance/harness.sh), so the boot writes nothing on this machine.
 *
 * <p>The release zip is laid out as MoodleSource stages it: the bundle, moodle-release.tgz and the
 * pinned sources under vendor/ with vendor/manifest.json (the PECL tarballs and their SHA-256s, the
 * CodeDeploy agent's URL in AWS's regional bucket and the SHA-256 recorded when staging).
 */
class OfflineBootTest {
    static final String REGION = "eu-west-1";
    static final String AGENT_HOST = "aws-codedeploy-" + REGION + ".s3." + REGION + ".amazonaws.com";
    static final String AGENT_KEY = "releases/codedeploy-agent-1.8.1-26.noarch.rpm";
    static final String AGENT_URL = "https://" + AGENT_HOST + "/" + AGENT_KEY;
    static final List<String> BLOCKED_TOOLS = List.of("pecl", "pear", "wget", "git", "pip", "pip3", "gem",
            "composer", "npm");
    static final String RESOURCES = "offline-instance/";

    @TempDir
    Path tmp;

    FakeInstance instance;
    Path bundle;
    Path fakeBin;
    Path state;
    Path netLog;
    Path awsHttp;
    Path out;
    byte[] agentRpm = "stand-in for codedeploy-agent-1.8.1-26.noarch.rpm".getBytes(StandardCharsets.UTF_8);

    /** The isolation needs user, mount and network namespaces and overlayfs in them (Linux 5.11+). */
    @BeforeAll
    static void namespacesAreAvailable() {
        Bundle.Result probe = Bundle.run(List.of("unshare", "--user", "--map-root-user", "--mount", "--net",
                "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs tmpfs \"$d\" && mkdir \"$d/u\" \"$d/w\""
                        + " && mount -t overlay overlay -o lowerdir=/etc,upperdir=\"$d/u\",workdir=\"$d/w\" /etc"
                        + " && touch /etc/.offline-boot-probe && mv /etc/.offline-boot-probe /etc/.offline-boot-probe2"));
        assumeTrue(probe.exit() == 0, "user, mount and network namespaces with overlayfs are needed: " + probe.all());
    }

    @BeforeEach
    void setUp() throws IOException {
        instance = new FakeInstance(tmp.resolve("instance"));
        fakeBin = tmp.resolve("fake-bin");
        state = Files.createDirectories(tmp.resolve("fake-state"));
        netLog = state.resolve("net.log");
        awsHttp = tmp.resolve("aws-http");
        out = tmp.resolve("written");

        install("curl", "curl");
        install("dnf", "dnf");
        install("dnf", "yum");
        install("rpm", "rpm");
        install("php", "php");
        install("mount", "mount");
        install("mount", "mountpoint");
        install("phpize", "phpize");
        install("phpize", "make");
        for (String s : List.of("systemctl", "apachectl", "update-ca-trust", "restorecon")) {
            install("service", s);
        }
        for (String b : BLOCKED_TOOLS) {
            install("blocked", b);
        }
        // The AWS CLI reaches AWS endpoints only; the answers come from the bundle tests' fake.
        Bundle.write(fakeBin.resolve("aws"), "#!/usr/bin/env bash\n"
                + "printf 'aws %s\\n' \"$*\" >>\"$FAKE_NET_LOG\"\n"
                + "case \" $* \" in\n"
                + "  *' ssm get-parameter '*|*' secretsmanager get-secret-value '*) exec \"$FAKE_AWS_CLI\" \"$@\" ;;\n"
                + "esac\n");
        Files.setPosixFilePermissions(fakeBin.resolve("aws"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

        // The release zip as UserData unpacks it.
        bundle = tmp.resolve("opt-moodle-autopilot/bundle");
        Bundle.copyBundle(bundle);
        tarball(bundle.resolve("moodle-release.tgz"), Map.of("moodle/version.php", "<?php\n$release = '4.5.7';\n",
                "moodle/index.php", "<?php\n"));
        byte[] redis = tarball(bundle.resolve("vendor/redis-6.1.0.tgz"), peclFiles("redis", "6.1.0"));
        byte[] memcached = tarball(bundle.resolve("vendor/memcached-3.3.0.tgz"), peclFiles("memcached", "3.3.0"));
        writeManifest(sha256(redis), sha256(memcached), sha256(agentRpm));
        // AWS's regional resource-kit bucket holds the pinned agent package.
        Files.createDirectories(awsHttp.resolve(AGENT_HOST).resolve(AGENT_KEY).getParent());
        Files.write(awsHttp.resolve(AGENT_HOST).resolve(AGENT_KEY), agentRpm);

        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", tmp.resolve("www/moodle").toString());
        site.put("dataroot", tmp.resolve("moodledata").toString());
        site.put("localcachedir", tmp.resolve("localcache").toString());
        site.put("log_retention_days", "30");
        site.put("db_app_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:moodle-app-AbCdEf");
        instance.putSiteConfig(site);
        instance.putSecret(site.path("db_secret_arn").asText(),
                Bundle.json(Map.of("username", "postgres", "password", "master-pw")));
        instance.putSecret(site.path("db_app_secret_arn").asText(),
                Bundle.json(Map.of("username", "moodle_app", "password", "app-pw")));
    }

    private void install(String resource, String name) {
        Bundle.executableResource(RESOURCES + resource, fakeBin.resolve(name));
    }

    void writeManifest(String redisSha, String memcachedSha, String agentSha) {
        Map<String, Object> extensions = new LinkedHashMap<>();
        extensions.put("redis", Map.of("version", "6.1.0", "file", "vendor/redis-6.1.0.tgz", "sha256", redisSha,
                "url", "https://pecl.php.net/get/redis-6.1.0.tgz"));
        extensions.put("memcached", Map.of("version", "3.3.0", "file", "vendor/memcached-3.3.0.tgz",
                "sha256", memcachedSha, "url", "https://pecl.php.net/get/memcached-3.3.0.tgz"));
        Bundle.write(bundle.resolve("vendor/manifest.json"), Bundle.json(Map.of("php_extensions", extensions,
                "codedeploy_agent", Map.of("version", "1.8.1-26", "url", AGENT_URL, "sha256", agentSha))));
    }

    static Map<String, String> peclFiles(String name, String version) {
        return Map.of("package.xml", "<package><name>" + name + "</name></package>\n",
                name + "-" + version + "/config.m4", "PHP_ARG_ENABLE(" + name + ")\n");
    }

    /** A .tgz of the given files, made with the system's tar; @return its bytes */
    byte[] tarball(Path target, Map<String, String> files) {
        try {
            Path dir = Files.createTempDirectory(tmp, "tar-");
            for (var f : files.entrySet()) {
                Bundle.write(dir.resolve(f.getKey()), f.getValue());
            }
            Files.createDirectories(target.getParent());
            List<String> cmd = new java.util.ArrayList<>(List.of("tar", "-czf", target.toString(), "-C", dir.toString()));
            cmd.addAll(files.keySet().stream().sorted().toList());
            Bundle.Result r = Bundle.run(cmd);
            assertThat(r.exit()).as(r.all()).isZero();
            return Files.readAllBytes(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** bootstrap.sh as UserData runs it, inside the isolated instance. */
    Bundle.Result boot() {
        Map<String, String> env = new LinkedHashMap<>(instance.env());
        env.put("AWS_REGION", REGION);
        env.put("FAKE_BIN", fakeBin.toString());
        env.put("FAKE_STATE", state.toString());
        env.put("FAKE_NET_LOG", netLog.toString());
        env.put("FAKE_AWS_HTTP", awsHttp.toString());
        env.put("FAKE_AWS_CLI", instance.bin.resolve("aws").toString());
        env.put("REAL_PHP", Bundle.php());
        env.put("NS_OUT", out.toString());
        Path harness = Bundle.executableResource(RESOURCES + "harness.sh", tmp.resolve("harness.sh"));
        Path scratch = tmp.resolve("scratch");
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Bundle.run(List.of("unshare", "--user", "--map-root-user", "--mount", "--net", "bash",
                harness.toString(), scratch.toString(), "bash", bundle.resolve("scripts/bootstrap.sh").toString()),
                env, null, tmp);
    }

    String read(Path p) {
        return Files.exists(p) ? Bundle.read(p) : "";
    }

    List<String> netRequests() {
        return read(netLog).lines().toList();
    }

    static boolean awsOrLocal(String host) {
        return host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn") || host.equals("169.254.169.254")
                || host.equals("localhost") || host.equals("127.0.0.1");
    }

    @Test
    void aBootWithNoRouteToTheInternetButTheAwsEndpointsSucceedsAndContactsNothingElse() {
        Bundle.Result r = boot();

        assertThat(r.exit()).as("bootstrap.sh: %s\n-- network --\n%s\n-- log --\n%s", r.all(), read(netLog),
                read(instance.log)).isZero();
        assertThat(read(instance.log)).contains("bootstrap complete");

        List<String> requests = netRequests();
        assertThat(requests).as("requests that had no route").noneMatch(l -> l.startsWith("BLOCKED"));
        assertThat(requests).as("every request goes to an AWS endpoint (or the instance itself)").allSatisfy(l -> {
            String[] parts = l.split(" ");
            if (parts[1].startsWith("http")) {
                assertThat(awsOrLocal(URI.create(parts[1]).getHost())).as(l).isTrue();
            } else {
                assertThat(parts[0]).as(l).isEqualTo("aws");
            }
        });
        assertThat(String.join("\n", requests)).doesNotContain("pecl.php.net").doesNotContain("/latest/");

        // The CodeDeploy agent: the pinned package from the regional bucket, checked, installed as a file.
        assertThat(requests).contains("curl " + AGENT_URL);
        assertThat(read(state.resolve("dnf.log")))
                .contains("dnf-local codedeploy-agent-1.8.1-26.noarch.rpm " + sha256(agentRpm));
        assertThat(read(state.resolve("services.log"))).contains("systemctl enable --now --quiet codedeploy-agent");

        // The PECL extensions: built with phpize from the staged sources, enabled.
        String build = read(state.resolve("build.log"));
        assertThat(build).containsPattern("phpize \\S+/redis-6\\.1\\.0\\n")
                .containsPattern("configure \\S+/redis-6\\.1\\.0 --enable-redis")
                .containsPattern("make \\S+/redis-6\\.1\\.0 install")
                .containsPattern("phpize \\S+/memcached-3\\.3\\.0\\n");
        assertThat(read(out.resolve("etc/php.d/50-redis.ini"))).isEqualTo("extension=redis.so\n");
        assertThat(read(out.resolve("etc/php.d/50-memcached.ini"))).isEqualTo("extension=memcached.so\n");
    }

    @Test
    void aStagedSourceThatIsNotTheOnePinnedStopsTheBootBeforeAnythingIsBuilt() throws IOException {
        Path redis = bundle.resolve("vendor/redis-6.1.0.tgz");
        String pinned = sha256(Files.readAllBytes(redis));
        Files.write(redis, "tampered".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);

        Bundle.Result r = boot();

        assertThat(r.exit()).isNotZero();
        assertThat(read(instance.log)).contains("redis-6.1.0.tgz has SHA-256 " + sha256(Files.readAllBytes(redis))
                + ", expected " + pinned);
        assertThat(read(state.resolve("build.log"))).doesNotContain("redis");
        assertThat(out.resolve("etc/php.d/50-redis.ini")).doesNotExist();
        assertThat(read(instance.log)).doesNotContain("bootstrap complete");
    }

    @Test
    void anAgentPackageThatIsNotTheOneRecordedWhenStagedIsNotInstalled() throws IOException {
        byte[] other = "another package under the same key".getBytes(StandardCharsets.UTF_8);
        Files.write(awsHttp.resolve(AGENT_HOST).resolve(AGENT_KEY), other);

        Bundle.Result r = boot();

        assertThat(r.exit()).isNotZero();
        assertThat(read(instance.log)).contains("codedeploy-agent-1.8.1-26.noarch.rpm has SHA-256 " + sha256(other)
                + ", expected " + sha256(agentRpm));
        assertThat(read(state.resolve("dnf.log"))).doesNotContain("dnf-local");
        assertThat(read(state.resolve("services.log"))).doesNotContain("codedeploy-agent");
    }

    @Test
    void aReleaseStagedWithoutPinnedSourcesFailsTheBootClearly() throws IOException {
        Files.delete(bundle.resolve("vendor/manifest.json"));

        Bundle.Result r = boot();

        assertThat(r.exit()).isNotZero();
        assertThat(read(instance.log)).contains("vendor/manifest.json").contains("stage");
        assertThat(netRequests()).noneMatch(l -> l.startsWith("BLOCKED"));
    }
}
