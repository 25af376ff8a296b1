package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Moodle's e-mail through SES's SMTP interface on a real site: scripts/mail_relay.py stands for
 * SES (STARTTLS before AUTH, AUTH before MAIL, one user and password), with a certificate from the
 * site's CA. The stack's moodle-config document, run on a real web tier as the local stack's Run
 * Command runs it, sets Moodle's SMTP settings from its payload and the SMTP password from the
 * secret the site configuration names (smtp_secret_arn, {"username", "password"} in Secrets
 * Manager). A password reset requested over HTTP then reaches the relay over TLS, authenticated as
 * the SES user, from the no-reply address to the user's. With a wrong password in the secret,
 * Moodle's next mail is refused at AUTH, nothing is delivered and Moodle tells the user so; and a
 * server whose certificate the site's CA did not sign is refused before AUTH. The password appears in no
 * output, log or page.
 */
@ExtendWith(MotoExtension.class)
class SesMailSiteTest {
    private static final String STACK = "mailsite";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NOREPLY = "noreply@mail.example.edu";
    /** Creates a manual-account user with an e-mail through Moodle's API, as the web user (PHP file: argv[1] dirroot). */
    private static final String CREATE_USERS = """
            <?php
            define('CLI_SCRIPT', true);
            require($argv[1] . '/config.php');
            require_once($CFG->dirroot . '/user/lib.php');
            foreach (['learner1', 'learner2', 'learner3'] as $name) {
                user_create_user(['username' => $name, 'auth' => 'manual', 'confirmed' => 1,
                    'mnethostid' => $CFG->mnet_localhost_id, 'password' => 'Learner-pw-1!',
                    'firstname' => 'Mail', 'lastname' => ucfirst($name), 'email' => $name . '@learners.example.edu']);
            }
            echo "created\\n";
            """;

    private TestSite site;
    private Process relay;

    @AfterEach
    void down() throws Exception {
        if (relay != null) {
            relay.destroy();
            relay.waitFor(10, TimeUnit.SECONDS);
        }
        if (site != null) {
            site.close();
        }
    }

    @Test
    void aPasswordResetIsDeliveredThroughTheSmtpRelayOverTlsWithTheSecretsPassword(MotoServer moto) throws Exception {
        Path python = TestSite.ROOT.resolve(".venv/bin/python3");
        assumeTrue(TestSite.runnable() && Files.isExecutable(python),
                "no .venv, .venv-awscli or apache2 (scripts/test installs them)");
        site = new TestSite(STACK, moto.url(), Map.of());
        TestSite.Run up = site.run(null, "up", "--database-sessions", "--no-cache");
        assertThat(up.exit()).as(up.output()).isZero();
        JsonNode state = JSON.readTree(site.dir.resolve("state.json").toFile());
        String url = state.path("url").asText();
        String dirroot = state.path("dirroot").asText();

        TestSite.Run cert = site.run(null, "mail-cert");
        assertThat(cert.exit()).as(cert.output()).isZero();
        JsonNode certs = JSON.readTree(cert.output().strip().lines().reduce((a, b) -> b).orElseThrow());
        String user = "AKIA" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase();
        String password = "Smtp-" + UUID.randomUUID();
        Path spool = site.dir.resolve("mail-spool");
        Path relayErr = site.dir.resolve("mail-relay.err");
        Relay started = startRelay(python, certs.path("cert").asText(), certs.path("key").asText(), user, password,
                spool, relayErr);
        relay = started.process();
        int port = started.port();

        String arn = site.secretInSiteConfig("smtp_secret_arn", "Smtp", smtpSecret(user, password));
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("smtphosts", "127.0.0.1:" + port);
        settings.put("smtpsecure", "tls");
        settings.put("smtpauthtype", "LOGIN");
        settings.put("smtpuser", user);
        settings.put("noreplyaddress", NOREPLY);

        TestSite.Run applied = site.runDocument(TestSite.moodleConfigJob(settings));

        assertThat(applied.exit()).as(applied.output()).isZero();
        assertThat(applied.output()).contains("{\"name\":\"smtppass\",\"plugin\":null}");
        TestSite.Run created = site.runDocument(shellJob(site.dir, dirroot));
        assertThat(created.exit()).as(created.output()).isZero();
        assertThat(created.output()).contains("created");

        // learner1 asks for a new password on the forgot-password page, as a browser does.
        String confirmation = requestReset(url, "learner1");

        assertThat(confirmation).contains("an email should have been sent to you");
        assertThat(spooled(spool)).containsExactly("1.eml", "1.json");
        JsonNode envelope = JSON.readTree(spool.resolve("1.json").toFile());
        assertThat(envelope.path("tls").asBoolean()).isTrue();
        assertThat(envelope.path("auth_user").asText()).isEqualTo(user);
        assertThat(envelope.path("mail_from").asText()).isEqualTo(NOREPLY);
        assertThat(envelope.path("rcpt_tos").toString()).isEqualTo("[\"learner1@learners.example.edu\"]");
        String message = Files.readString(spool.resolve("1.eml"), StandardCharsets.UTF_8);
        String headers = message.substring(0, message.indexOf("\r\n\r\n"));
        assertThat(headers).containsPattern("(?m)^From: .*<" + NOREPLY + ">\r?$")
                .containsPattern("(?m)^To: .*<?learner1@learners\\.example\\.edu>?\r?$")
                .containsPattern("(?m)^Subject: Moodle Autopilot local site: Password reset request\r?$");
        assertThat(message).contains("/login/forgot_password.php?token=");

        // The secret now holds a wrong password: the next mail is refused at AUTH, nothing arrives.
        try (SecretsManagerClient sm = site.secretsManager()) {
            sm.putSecretValue(r -> r.secretId(arn).secretString(smtpSecret(user, "Wrong-" + UUID.randomUUID())));
        }
        TestSite.Run rotated = site.runDocument(TestSite.moodleConfigJob(settings));
        assertThat(rotated.exit()).as(rotated.output()).isZero();
        assertThat(rotated.output()).contains("\"changed\":[{\"name\":\"smtppass\",\"plugin\":null}]");

        String second = requestReset(url, "learner2");

        // Moodle reports the failure to the user (login/lib.php: cannotmailconfirm).
        assertThat(second).contains("Error sending password change confirmation email");
        assertThat(spooled(spool)).containsExactly("1.eml", "1.json");
        assertThat(Files.readString(relayErr)).contains("refused AUTH LOGIN for '" + user + "'");

        // The right password again, but a server whose certificate no CA PHP trusts vouches for (the
        // same names, self-signed): Moodle refuses it after STARTTLS, before AUTH, so nothing arrives.
        try (SecretsManagerClient sm = site.secretsManager()) {
            sm.putSecretValue(r -> r.secretId(arn).secretString(smtpSecret(user, password)));
        }
        Path untrustedSpool = site.dir.resolve("untrusted-spool");
        Path selfSigned = selfSigned(site.dir);
        Relay untrusted = startRelay(python, selfSigned.resolve("cert.pem").toString(),
                selfSigned.resolve("key.pem").toString(), user, password, untrustedSpool,
                site.dir.resolve("untrusted-relay.err"));
        TestSite.Run pointed;
        String third;
        try {
            settings.put("smtphosts", "127.0.0.1:" + untrusted.port());
            pointed = site.runDocument(TestSite.moodleConfigJob(settings));
            assertThat(pointed.exit()).as(pointed.output()).isZero();
            third = requestReset(url, "learner3");
        } finally {
            untrusted.process().destroy();
            untrusted.process().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(third).contains("Error sending password change confirmation email");
        assertThat(spooled(untrustedSpool)).isEmpty();

        StringBuilder everything = new StringBuilder(up.output() + cert.output() + applied.output() + created.output()
                + confirmation + rotated.output() + second + message + pointed.output() + third
                + Files.readString(relayErr) + Files.readString(site.dir.resolve("untrusted-relay.err")));
        // Every log of the site: autopilot.log, PHP's errors, Apache's (error and access) logs.
        for (Path dir : List.of(site.dir.resolve("log"), site.dir.resolve("apache/logs"))) {
            try (Stream<Path> logs = Files.walk(dir)) {
                for (Path log : logs.filter(Files::isRegularFile).toList()) {
                    everything.append(Files.readString(log, StandardCharsets.ISO_8859_1));
                }
            }
        }
        // The instance's log names the secret setting it changed; never its value.
        assertThat(Files.readString(site.dir.resolve("log/autopilot.log"))).contains("smtppass");
        assertThat(everything.toString()).doesNotContain(password);
    }

    private record Relay(Process process, int port) {
    }

    /** Starts a relay (the password in its environment, never its argv) and waits for READY. */
    private static Relay startRelay(Path python, String cert, String key, String user, String password, Path spool,
            Path stderr) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(python.toString(), TestSite.ROOT.resolve("scripts/mail_relay.py").toString(),
                "--port", "0", "--cert", cert, "--key", key, "--user", user,
                "--password-env", "SMTP_RELAY_PASSWORD", "--spool", spool.toString())
                .redirectError(stderr.toFile());
        pb.environment().put("SMTP_RELAY_PASSWORD", password);
        Process p = pb.start();
        String ready = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(ready).as("the relay's first line (stderr: %s)", stderr).startsWith("READY ");
        return new Relay(p, Integer.parseInt(ready.substring("READY ".length()).strip()));
    }

    /** A self-signed certificate for the relay's names: valid in every way but the CA. */
    private static Path selfSigned(Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("self-signed"));
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                "-keyout", out.resolve("key.pem").toString(), "-out", out.resolve("cert.pem").toString(),
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
        return out;
    }

    private static String requestReset(String url, String username) throws Exception {
        Browser browser = new Browser(url);
        Map<String, String> form = Browser.hiddenFields(browser.get("/login/forgot_password.php"));
        form.put("username", username);
        form.put("submitbuttonusername", "Search");
        return browser.post("/login/forgot_password.php", form);
    }

    private static List<String> spooled(Path spool) throws Exception {
        try (Stream<Path> files = Files.list(spool)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String smtpSecret(String user, String password) {
        return JSON.createObjectNode().put("username", user).put("password", password).toString();
    }

    /** A document that creates the test's users through Moodle's API, as the web user. */
    private static String shellJob(Path dir, String dirroot) throws Exception {
        Path script = dir.resolve("create-users.php");
        Files.writeString(script, CREATE_USERS);
        ObjectNode step = JSON.createObjectNode().put("action", "aws:runShellScript").put("name", "users");
        step.set("inputs", JSON.createObjectNode().set("runCommand", JSON.createArrayNode()
                .add("runuser -u \"$WEB_USER\" -- php " + script + " " + dirroot)));
        ObjectNode content = JSON.createObjectNode().put("schemaVersion", "2.2");
        content.set("mainSteps", JSON.createArrayNode().add(step));
        return JSON.createObjectNode().set("content", content).toString();
    }
}
