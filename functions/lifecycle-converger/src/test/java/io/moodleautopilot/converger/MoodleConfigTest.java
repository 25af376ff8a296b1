package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Moodle's own configuration once the site is installed: the settings document and the
 * application cache, sent by Run Command to one healthy web instance, with the result (the
 * Moodle-side scripts' report) recorded in the status. moto runs no script on an instance, so the
 * instance's answer to GetCommandInvocation is the one the bundle's scripts print, given in SSM's
 * JSON protocol by the gateway.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class MoodleConfigTest {
    private static final String REPORT = "{\"settings\":{\"changed\":[{\"name\":\"cronclionly\",\"plugin\":null,"
            + "\"old\":\"0\",\"new\":\"1\"},{\"name\":\"host_url\",\"plugin\":\"auth_ldap\",\"old\":null,"
            + "\"new\":\"ldaps://ldap.example.edu\"}],\"unchanged\":5},\"applicationCache\":{\"changed\":true,"
            + "\"store\":\"autopilot_application\",\"plugin\":\"redis\",\"actions\":[\"store added\","
            + "\"application mode mapped\",\"application caches purged\"]}}";
    private static final String UNCHANGED = "{\"settings\":{\"changed\":[],\"unchanged\":7},"
            + "\"applicationCache\":{\"changed\":false,\"store\":\"autopilot_application\",\"plugin\":\"redis\",\"actions\":[]}}";

    private ConvergerStack stack;
    private AwsGateway gateway;
    private Map<String, String> env;

    @BeforeEach
    void installedSite(CodePipelineStandIn pipelines, AwsGateway gateway) {
        this.gateway = gateway;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        env = new HashMap<>(stack.functionEnvironment());
        env.put("MOODLE_CONFIG_WAIT_SECONDS", "3");
    }

    @Test
    void enteringProductionAppliesTheDeclaredSettingsAndTheApplicationCacheOnOneInstance() throws Exception {
        answer("Success", REPORT, "");
        stack.setFlag("Yes");
        // Install mode's one instance: the only one in service when the converge looks.
        String installInstance = stack.instances().get(0);

        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json")));
        var entered = recorded.value();

        assertThat(stack.moodleConfigCommands()).hasSize(1);
        // One instance: the lowest id among the InService, healthy ones the converge saw.
        assertThat(recorded.calls()).filteredOn(c -> c.action().equals("ssm:SendCommand")
                        && c.resources().get(0).endsWith(":document/" + stack.moodleConfigDocument()))
                .singleElement().extracting(c -> c.resources().subList(1, c.resources().size()))
                .isEqualTo(java.util.List.of("arn:aws:ec2:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT
                        + ":instance/" + installInstance));
        // The Moodle configuration step costs two calls (the command, its result): the instance comes
        // from the group's describe that the lifecycle step made anyway.
        assertThat(recorded.calls()).extracting(c -> c.action()).containsSubsequence(
                "ssm:SendCommand", "ssm:GetCommandInvocation");
        assertThat(recorded.calls()).filteredOn(c -> c.action().equals("autoscaling:DescribeAutoScalingGroups")).hasSize(1);
        JsonNode payload = Invocations.MAPPER.readTree(stack.moodleConfigCommands().get(0));
        assertThat(payload.path("settings").path("cronclionly").asText()).isEqualTo("1");
        // Executable paths are config.php's (rendered with preventexecpath), not the document's.
        assertThat(payload.path("settings").has("pathtophp")).isFalse();
        assertThat(payload.path("applicationCache").path("engine").asText()).isEqualTo("redis");
        assertThat(payload.path("applicationCache").path("host").asText()).isEqualTo("app.abc123.cache.amazonaws.com");
        assertThat(payload.path("applicationCache").path("tls").asBoolean()).isTrue();
        assertThat(entered.result().path("actions").toString())
                .contains("\"set cronclionly\"")
                .contains("\"set auth_ldap/host_url\"")
                .contains("application cache autopilot_application (redis): store added");
        assertThat(status().path("moodleConfigAppliedFor").asText()).isNotEmpty();
        // Names, never values: the instance's report had the old and new values; none is copied.
        assertThat(stack.parameter(stack.statusParameter()) + entered.result() + entered.allOutput())
                .doesNotContain("ldaps://ldap.example.edu").doesNotContain("'0'");
    }

    /** A secret in the document never leaves the converger: refused by name, before any command. */
    @Test
    void aSecretInTheDocumentIsRefusedByNameAndNeverSent() throws Exception {
        stack.setSettings("{\"forcelogin\": \"1\", \"smtppass\": \"hunter2-smtp-password\"}");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        var schedule = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(entered.result().path("actions").toString()).contains("document rejected")
                .contains("'smtppass' is a secret").contains("Secrets for Moodle settings");
        assertThat(stack.moodleConfigCommands()).isEmpty();
        assertThat(stack.parameter(stack.statusParameter()) + entered.result() + entered.allOutput() + schedule.result()
                + schedule.allOutput()).doesNotContain("hunter2");
        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
    }

    /** A JSON syntax error is placed, not quoted: an unquoted password would otherwise be echoed. */
    @Test
    void aSyntaxErrorIsReportedWithoutTheTextAtIt() throws Exception {
        stack.setSettings("{\"smtpuser\": \"mailer\", \"x\": hunter2unquoted}");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));

        assertThat(entered.result().path("actions").toString()).contains("is not JSON (line 1, column");
        assertThat(stack.parameter(stack.statusParameter()) + entered.result() + entered.allOutput()).doesNotContain("hunter2");
    }

    /**
     * The instance refuses what only it can see (a setting config.php forces): reported once with
     * the reason the script gives, and not sent again until the document changes.
     */
    @Test
    void aDocumentTheInstanceRefusesIsReportedOnceAndNotSentAgainUntilItChanges() {
        answerRefused("2026-11-30T10:00:00Z apply-moodle-config.sh[42]: settings: apply-settings: Moodle setting"
                + " 'forcelogin' is forced by config.php: no setting was changed\n"
                + "2026-11-30T10:00:00Z apply-moodle-config.sh[42]: REFUSED: apply-settings: Moodle setting"
                + " 'forcelogin' is forced by config.php: no setting was changed\n");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        var schedule = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(entered.result().path("actions").toString()).contains("refused on")
                .contains("'forcelogin' is forced by config.php").contains("not sent again");
        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.moodleConfigCommands()).hasSize(1);

        stack.setSettings("{\"cronclionly\": \"1\"}");
        answer("Success", UNCHANGED, "");
        var changed = Invocations.invoke(Invocations.handler(env), Invocations.event("moodle-settings-change.json"));

        assertThat(changed.result().path("actions").toString()).contains("applied on");
        assertThat(stack.moodleConfigCommands()).hasSize(2);
    }

    /**
     * A stack created when memcached was offered for the application cache: Moodle 4.2 removed that
     * store, so the instance's script failed after the settings and was retried every 15 minutes.
     * Now the settings are applied without the cache, the reason is given once, nothing is retried.
     */
    @Test
    void aMemcachedApplicationCacheIsRefusedOnceAndTheSettingsStillApply() throws Exception {
        env.put("APP_CACHE_ENGINE", "memcached");
        env.put("APP_CACHE_PORT", "11211");
        env.put("APP_CACHE_TLS", "false");
        answer("Success", UNCHANGED.replaceAll("\"applicationCache\":\\{.*\\}}$", "\"applicationCache\":null}"), "");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        var schedule = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        JsonNode payload = Invocations.MAPPER.readTree(stack.moodleConfigCommands().get(0));
        assertThat(payload.path("applicationCache").isNull()).isTrue();
        assertThat(payload.path("settings").path("cronclionly").asText()).isEqualTo("1");
        assertThat(entered.result().path("actions").toString()).contains("applied on")
                .contains("Moodle removed its memcached cache store in 4.2");
        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.moodleConfigCommands()).hasSize(1);
    }

    /**
     * Mail and LDAP from the stack's parameters reach Moodle with the operator's document: the
     * stack's settings underneath, the document's value where both name a setting. Neither password
     * is in the payload; a new version of either secret (a rotated password) applies the settings
     * again, as does a new SMTP key (its user name is a stack setting).
     */
    @Test
    void theStacksMailAndLdapSettingsAreAppliedUnderTheOperatorsDocumentAndAgainWhenASecretRotates(
            CodePipelineStandIn pipelines) throws Exception {
        String smtpSecret;
        String bindSecret;
        try (SecretsManagerClient sm = AwsCallRecorder.unrecorded(SecretsManagerClient.builder())) {
            smtpSecret = sm.createSecret(r -> r.name("MailSmtpSecret-x").secretString("{\"username\": \"\"}")).arn();
            bindSecret = sm.createSecret(r -> r.name("directory/bind").secretString("{\"password\": \"one\"}")).arn();
        }
        Map<String, String> params = new HashMap<>(Map.of("MailDomain", "example.edu", "LdapHost", "ldap.example.edu",
                "LdapSecurity", "starttls", "LdapCidr", "10.20.0.0/24", "LdapContexts", "ou=people,dc=example,dc=edu",
                "LdapBindDn", "cn=moodle,dc=example,dc=edu", "LdapBindSecretArn", bindSecret));
        params.put("MailSmtpCredentials.Username", "AKIAEXAMPLEKEY000001");
        params.put("MailSmtpSecret", smtpSecret);
        ConvergerStack mail = new ConvergerStack("mailstack", params).create();
        pipelines.createPipeline(mail.pipeline);
        Map<String, String> mailEnv = new HashMap<>(mail.functionEnvironment());
        mailEnv.put("MOODLE_CONFIG_WAIT_SECONDS", "3");
        stack = mail;
        answer("Success", UNCHANGED, "");
        mail.setSettings("{\"auth\": \"ldap,oauth2\", \"forcelogin\": \"1\"}");
        mail.setFlag("Yes");

        // The schedule's event (the sample Parameter Store event names the stack "moodle").
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(mailEnv), Invocations.event("scheduled-safety-net.json")));
        var entered = recorded.value();

        assertThat(entered.outcome()).as(entered.result().toString()).isEqualTo("APPLIED");
        JsonNode settings = Invocations.MAPPER.readTree(mail.moodleConfigCommands().get(0)).path("settings");
        assertThat(settings.path("smtphosts").asText()).isEqualTo("email-smtp.us-east-1.amazonaws.com:587");
        assertThat(settings.path("smtpsecure").asText()).isEqualTo("tls");
        assertThat(settings.path("smtpauthtype").asText()).isEqualTo("LOGIN");
        assertThat(settings.path("smtpuser").asText()).isEqualTo("AKIAEXAMPLEKEY000001");
        assertThat(settings.path("noreplyaddress").asText()).isEqualTo("noreply@example.edu");
        assertThat(settings.path("auth_ldap/host_url").asText()).isEqualTo("ldap://ldap.example.edu");
        assertThat(settings.path("auth_ldap/start_tls").asText()).isEqualTo("1");
        assertThat(settings.path("auth_ldap/bind_dn").asText()).isEqualTo("cn=moodle,dc=example,dc=edu");
        // The operator's document wins where both name a setting, and its own settings go too.
        assertThat(settings.path("auth").asText()).isEqualTo("ldap,oauth2");
        assertThat(settings.path("forcelogin").asText()).isEqualTo("1");
        // Secrets stay on the instance: neither password is a setting of the payload.
        assertThat(settings.has("smtppass")).isFalse();
        assertThat(settings.has("auth_ldap/bind_pw")).isFalse();
        // The converger sees the secrets' versions, never their values, within its policy.
        assertThat(recorded.calls()).extracting(c -> c.action()).contains("secretsmanager:DescribeSecret")
                .doesNotContain("secretsmanager:GetSecretValue");
        assertThat(mail.functionPolicy().violations(recorded.calls())).isEmpty();

        var again = Invocations.invoke(Invocations.handler(mailEnv), Invocations.event("scheduled-safety-net.json"));
        assertThat(again.outcome()).isEqualTo("NO_CHANGE");
        assertThat(mail.moodleConfigCommands()).hasSize(1);

        // The directory's bind password changed in its secret: the same payload is applied again.
        try (SecretsManagerClient sm = AwsCallRecorder.unrecorded(SecretsManagerClient.builder())) {
            sm.putSecretValue(r -> r.secretId(bindSecret).secretString("{\"password\": \"two\"}"));
        }
        var rotatedBind = Invocations.invoke(Invocations.handler(mailEnv), Invocations.event("scheduled-safety-net.json"));
        assertThat(rotatedBind.result().path("actions").toString()).contains("Moodle settings and application cache applied");
        assertThat(mail.moodleConfigCommands()).hasSize(2);
        assertThat(mail.moodleConfigCommands().get(1)).isEqualTo(mail.moodleConfigCommands().get(0));

        // A new SMTP key: the template rewrites the stack's settings with the new user name.
        params.put("MailSmtpCredentials.Username", "AKIAEXAMPLEKEY000002");
        Map<String, String> rotated = new HashMap<>(new ConvergerStack("mailstack", params).functionEnvironment());
        rotated.put("MOODLE_CONFIG_WAIT_SECONDS", "3");
        var afterRotation = Invocations.invoke(Invocations.handler(rotated), Invocations.event("scheduled-safety-net.json"));

        assertThat(afterRotation.result().path("actions").toString()).contains("Moodle settings and application cache applied");
        assertThat(Invocations.MAPPER.readTree(mail.moodleConfigCommands().get(2)).path("settings").path("smtpuser").asText())
                .isEqualTo("AKIAEXAMPLEKEY000002");
    }

    @Test
    void anUnchangedDocumentSendsNothingAgain() {
        answer("Success", REPORT, "");
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));

        var schedule = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));
        var replay = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));

        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
        assertThat(replay.outcome()).isEqualTo("ALREADY_APPLIED");
        assertThat(stack.moodleConfigCommands()).hasSize(1);
    }

    @Test
    void aChangedDocumentIsAppliedOnItsChangeEventAndNoValueCanBreakOut() throws Exception {
        answer("Success", REPORT, "");
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        String hostile = "it's \"quoted\" $(touch /tmp/x) `id` \\ back\nnew line ?> é 漢";
        stack.setSettings(Invocations.MAPPER.createObjectNode().put("sitename_note", hostile)
                .put("auth_ldap/host_url", "ldaps://ldap.example.edu").put("debugdisplay", false).toString());
        answer("Success", UNCHANGED, "");

        var changed = Invocations.invoke(Invocations.handler(env), Invocations.event("moodle-settings-change.json"));

        assertThat(changed.outcome()).isEqualTo("APPLIED");
        assertThat(stack.moodleConfigCommands()).hasSize(2);
        JsonNode settings = Invocations.MAPPER.readTree(stack.moodleConfigCommands().get(1)).path("settings");
        assertThat(settings.path("sitename_note").asText()).isEqualTo(hostile);
        assertThat(settings.path("debugdisplay").asText()).isEqualTo("0");
        assertThat(changed.result().path("actions").toString()).contains("no change");
    }

    @Test
    void aFailedRunIsReportedAndTriedAgainByTheNextConverge() {
        answer("Failed", "", "PHP Fatal error: Moodle is not installed");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        answer("Success", UNCHANGED, "");
        var next = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(entered.result().path("actions").toString())
                .contains("not applied").contains("Failed: PHP Fatal error: Moodle is not installed");
        assertThat(next.result().path("actions").toString()).contains("applied on");
        assertThat(stack.moodleConfigCommands()).hasSize(2);
    }

    @Test
    void aRunThatOutlivesTheWaitIsLeftForTheNextConverge() {
        answer("InProgress", "", "");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));

        assertThat(entered.outcome()).isEqualTo("APPLIED");
        assertThat(entered.result().path("actions").toString()).contains("still running after 3 s");
        assertThat(stack.limits()).isEqualTo("2/4/2");
    }

    @Test
    void withoutAHealthyInstanceItWaitsAndAppliesOnceOneIsReady() {
        answer("Success", REPORT, "");
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        stack.instances().forEach(i -> setHealth(i, "Unhealthy"));
        stack.setSettings("{\"cronclionly\": \"1\", \"forcelogin\": \"1\"}");

        var waiting = Invocations.invoke(Invocations.handler(env), Invocations.event("moodle-settings-change.json"));
        assertThat(waiting.result().path("actions").toString()).contains("waiting: no InService, healthy web instance");
        assertThat(stack.moodleConfigCommands()).hasSize(1);

        String ready = stack.instances().get(1);
        setHealth(ready, "Healthy");
        var later = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(later.result().path("actions").toString()).contains("applied on " + ready);
        assertThat(stack.moodleConfigCommands()).hasSize(2);
    }

    @Test
    void aBadDocumentIsReportedOnceAndTheRestOfTheStackStillConverges() {
        stack.setSettings("{\"Not A Name\": \"x\"}");
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        var schedule = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(entered.result().path("actions").toString()).contains("document rejected").contains("Not A Name");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.moodleConfigCommands()).isEmpty();
    }

    @Test
    void aChangeOfTwoHundredSettingsConvergesWithAStatusThatFitsItsParameter() throws Exception {
        answer("Success", REPORT, "");
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json"));
        var document = Invocations.MAPPER.createObjectNode();
        var changed = Invocations.MAPPER.createArrayNode();
        for (int i = 1; i <= 200; i++) {
            String value = "value " + i + ", set in one change";
            document.put("autopilot_setting_" + i, value);
            changed.addObject().put("name", "autopilot_setting_" + i).putNull("plugin");
        }
        stack.setSettings(document.toString());
        var report = Invocations.MAPPER.createObjectNode();
        report.putObject("settings").put("unchanged", 7).set("changed", changed);
        report.putNull("applicationCache");
        answer("Success", report.toString(), "");

        var applied = Invocations.invoke(Invocations.handler(env), Invocations.event("moodle-settings-change.json"));

        assertThat(applied.outcome()).isEqualTo("APPLIED");
        // The result (and the log) keep every change: the header and 200 lines.
        JsonNode actions = applied.result().path("actions");
        assertThat(actions).hasSize(201);
        assertThat(actions.get(0).asText()).endsWith(": 200 changes");
        assertThat(actions.get(200).asText()).isEqualTo("set autopilot_setting_200");
        String stored = stack.parameter(stack.statusParameter());
        assertThat(stored.length()).isLessThan(4096);
        JsonNode kept = Invocations.MAPPER.readTree(stored).path("actions");
        int listed = kept.size() - 1;
        assertThat(listed).as("changes listed in the status").isGreaterThan(10);
        for (int i = 0; i < listed; i++) {
            assertThat(kept.get(i).asText()).isEqualTo(actions.get(i).asText());
        }
        assertThat(kept.get(listed).asText()).isEqualTo("... and " + (201 - listed) + " more");
        assertThat(status().path("moodleConfigAppliedFor").asText()).isNotEmpty();
        // The record is readable, so the next converge compares against it and has nothing to do.
        var next = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));
        assertThat(next.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.moodleConfigCommands()).hasSize(2);
    }

    @Test
    void installModeSendsNothing() {
        var installing = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(installing.result().path("actions").toString()).doesNotContain("Moodle settings");
        assertThat(stack.moodleConfigCommands()).isEmpty();
    }

    /** The instance's answer when apply-moodle-config.sh refused the payload: Failed, exit code 2. */
    private void answerRefused(String stderr) {
        var body = Invocations.MAPPER.createObjectNode()
                .put("CommandId", "00000000-0000-0000-0000-000000000000")
                .put("InstanceId", "i-00000000")
                .put("DocumentName", stack.moodleConfigDocument())
                .put("Status", "Failed")
                .put("StatusDetails", "Failed")
                .put("ResponseCode", 2)
                .put("StandardOutputContent", "")
                .put("StandardErrorContent", stderr);
        gateway.respond("GetCommandInvocation", 200, "application/x-amz-json-1.1", body.toString(), 100);
    }

    /** The instance's answer, as SSM's GetCommandInvocation returns it (JSON protocol). */
    private void answer(String status, String stdout, String stderr) {
        var body = Invocations.MAPPER.createObjectNode()
                .put("CommandId", "00000000-0000-0000-0000-000000000000")
                .put("InstanceId", "i-00000000")
                .put("DocumentName", stack.moodleConfigDocument())
                .put("Status", status)
                .put("StatusDetails", status)
                .put("StandardOutputContent", stdout)
                .put("StandardErrorContent", stderr);
        gateway.respond("GetCommandInvocation", 200, "application/x-amz-json-1.1", body.toString(), 100);
    }

    private static void setHealth(String instance, String health) {
        try (AutoScalingClient asg = AwsCallRecorder.unrecorded(AutoScalingClient.builder())) {
            asg.setInstanceHealth(r -> r.instanceId(instance).healthStatus(health));
        }
    }

    private JsonNode status() throws Exception {
        return Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
    }
}
