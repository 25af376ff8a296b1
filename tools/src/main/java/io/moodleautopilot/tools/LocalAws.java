package io.moodleautopilot.tools;

import io.moodleautopilot.testbed.AlarmActionsStandIn;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.RunCommandStandIn;
import io.moodleautopilot.testbed.SiteRunCommandStandIn;
import io.moodleautopilot.testbed.StandIn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The local stack's AWS endpoint: the same WireMock gateway the tests use, in front of a running
 * moto_server, with the stand-ins for what moto lacks. Runs until killed.
 *
 * <p>With {@code --postgres FILE} it also starts a real PostgreSQL (the embedded default for Moodle's
 * database) and writes its port to FILE.
 *
 * <p>With {@code --site-runner SCRIPT} Run Command runs its documents on the local Moodle site
 * (SiteRunCommandStandIn; SCRIPT is scripts/local_site.py, {@code --site-dir} its state directory,
 * {@code --stack} the stack's name for the instance scripts); without it, GetCommandInvocation answers
 * as an instance with nothing to change (RunCommandStandIn).
 *
 * <p>Usage: {@code LocalAws --moto URL --port N [--pipeline NAME]... [--postgres FILE]
 * [--site-runner SCRIPT --site-dir DIR --stack NAME]}
 */
public final class LocalAws {
    private LocalAws() {
    }

    public static void main(String[] args) throws InterruptedException {
        String moto = null;
        int port = 0;
        List<String> pipelines = new ArrayList<>();
        String postgresFile = null;
        String siteRunner = null;
        String siteDir = null;
        String stack = "moodle";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--moto" -> moto = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--pipeline" -> pipelines.add(args[i + 1]);
                case "--postgres" -> postgresFile = args[i + 1];
                case "--site-runner" -> siteRunner = args[i + 1];
                case "--site-dir" -> siteDir = args[i + 1];
                case "--stack" -> stack = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (moto == null || port == 0) {
            System.err.println("usage: LocalAws --moto URL --port N [--pipeline NAME]...");
            System.exit(2);
        }
        CodePipelineStandIn codePipeline = new CodePipelineStandIn();
        pipelines.forEach(codePipeline::createPipeline);
        if (port == 0 && siteRunner != null) {
            System.err.println("--site-runner needs a fixed --port (the instance scripts call the gateway back)");
            System.exit(2);
        }
        StandIn runCommand = siteRunner == null ? new RunCommandStandIn()
                : new SiteRunCommandStandIn(moto, List.of("python3", siteRunner, "run-document"),
                Map.of("AUTOPILOT_SITE_DIR", siteDir == null ? "" : siteDir, "STACK_NAME", stack,
                        "AWS_ENDPOINT_URL", "http://127.0.0.1:" + port));
        AwsGateway gateway = new AwsGateway(moto, List.of(codePipeline, new AlarmActionsStandIn(moto),
                new io.moodleautopilot.testbed.AtomicWritesStandIn(moto), runCommand), port);
        if (postgresFile != null) {
            try {
                var pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
                java.nio.file.Files.writeString(java.nio.file.Path.of(postgresFile), String.valueOf(pg.getPort()));
                System.out.println("PostgreSQL for Moodle's database on 127.0.0.1:" + pg.getPort());
            } catch (java.io.IOException e) {
                System.err.println("embedded PostgreSQL did not start: " + e.getMessage());
                System.exit(1);
            }
        }
        System.out.println("local AWS endpoint ready at " + gateway.url() + " (moto at " + moto + ")");
        System.out.flush();
        Thread.currentThread().join();
    }
}
