package io.moodleautopilot.tools;

import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real web tier of a test's own (scripts/local_site.py with AUTOPILOT_SITE_DIR), never the
 * checkout's .local/site: its commands run with the instance scripts' view of AWS (the stack's name,
 * an endpoint), and {@link #close()} stops it and deletes its data. The directory is under .local/,
 * not a JUnit temporary directory: PostgreSQL, Redis and the web user must traverse it.
 */
final class TestSite implements AutoCloseable {
    static final Path ROOT = CfnTemplate.repositoryRoot();

    record Run(int exit, String output) {
    }

    final Path dir = ROOT.resolve(".local/test-site-" + UUID.randomUUID().toString().substring(0, 8));
    private final Map<String, String> env = new LinkedHashMap<>();

    /** @param extraEnv added to every command's environment (e.g. LDAPTLS_CACERT for up) */
    TestSite(String stack, String awsEndpoint, Map<String, String> extraEnv) {
        env.put("AUTOPILOT_SITE_DIR", dir.toString());
        env.put("STACK_NAME", stack);
        env.put("AWS_ENDPOINT_URL", awsEndpoint);
        env.putAll(extraEnv);
    }

    static boolean runnable() {
        return Files.isExecutable(ROOT.resolve(".venv-awscli/bin/aws")) && Files.isExecutable(Path.of("/usr/sbin/apache2"));
    }

    /** local_site.py with these arguments, {@code input} on its stdin; stdout and stderr together. */
    Run run(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", ROOT.resolve("scripts/local_site.py").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    /** A document run on the site as the local stack's Run Command runs it. */
    Run runDocument(String job) {
        try {
            return run(job, "run-document");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        run(null, "down", "--purge");
    }

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    }
}
