package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The web instances' role and CodeDeploy's service role, evaluated with their managed policies
 * (reliability probe, "IAM grants broader than needed"): the instances read their own stack's two
 * parameters and no other, their CloudWatch agent writes only to the stack's log group and its own
 * metric namespace, and CodeDeploy acts only on the stack's group and target group, with nothing of
 * AWSCodeDeployRole's blue/green powers (create groups, launch instances, pass roles).
 */
class WebInstancePermissionsTest {
    private static final String STACK = "moodle";
    private static final String ARN = "arn:aws:%s:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":%s";
    private static final String TARGET_GROUP = arn("elasticloadbalancing", "targetgroup/moodle-web/0123456789abcdef");
    private static final Map<String, String> RESOURCES = Map.of(
            "DatabaseCluster.MasterUserSecret.SecretArn", arn("secretsmanager", "secret:rds!cluster-0123-AbCdEf"),
            "DatabaseAppSecret", arn("secretsmanager", "secret:/Moodle/moodle/DatabaseAppUser-AbCdEf"),
            "AdminSecret", arn("secretsmanager", "secret:/Moodle/moodle/AdminPassword-AbCdEf"),
            "SourceBucket.Arn", "arn:aws:s3:::moodle-source",
            "ArtifactBucket.Arn", "arn:aws:s3:::moodle-artifacts",
            "WebTargetGroup", TARGET_GROUP);

    private final CfnTemplate template = CfnTemplate.load();

    private static String arn(String service, String rest) {
        return ARN.formatted(service, rest);
    }

    private static String parameter(String name) {
        return arn("ssm", "parameter" + name);
    }

    private CfnTemplate.Resolver resolver(String installMode) {
        return new CfnTemplate.Resolver(template, STACK, Map.of("InstallMode", installMode), RESOURCES);
    }

    private IamPolicy webRole(String installMode) {
        return template.rolePolicy("WebInstanceRole", resolver(installMode));
    }

    private IamPolicy codeDeployRole() {
        return template.rolePolicy("CodeDeployServiceRole", resolver("Wizard"));
    }

    private static JsonNode agentConfig() throws Exception {
        return new ObjectMapper().readTree(Files.readString(
                CfnTemplate.repositoryRoot().resolve("bundle/files/config/amazon-cloudwatch-agent.json")));
    }

    // --- parameters and secrets -------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"Wizard", "Unattended"})
    void theInstancesReadTheirOwnSiteConfigurationAndSessionConfigAndNoOtherParameter(String installMode) {
        IamPolicy role = webRole(installMode);

        assertThat(role.allows("ssm:GetParameter", parameter("/Moodle/moodle/Site/Config"))).as("lib.sh").isTrue();
        assertThat(role.allows("ssm:GetParameter", parameter("/Moodle/moodle/Automation/SessionConfig")))
                .as("render-config.sh").isTrue();
        for (String action : List.of("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                "ssm:GetParameterHistory")) {
            for (String name : List.of("/Moodle/other-stack/Site/Config", "/Moodle/moodle-other/Site/Config",
                    "/Moodle/moodle/Automation/Status", "/Moodle/moodle/Site/Settings", "/Moodle/moodle",
                    "/some/team/database-password", "AmazonCloudWatch-linux",
                    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")) {
                assertThat(role.allows(action, parameter(name.startsWith("/") ? name : "/" + name)))
                        .as("%s on %s", action, name).isFalse();
            }
            assertThat(role.allows(action, "*")).as(action + " on *").isFalse();
        }
    }

    @Test
    void noManagedPolicyOfTheInstancesGrantsParameterReadsTheRoleDoesNotTakeBack() {
        CfnTemplate.Resolver resolver = resolver("Wizard");
        IamPolicy role = webRole("Wizard");
        List<String> managed = template.managedPolicyArns("WebInstanceRole", resolver);
        assertThat(managed).as("Session Manager and Run Command only; the agent's permissions are inline")
                .containsExactly("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        for (String arn : managed) {
            for (IamPolicy.Statement s : AwsManagedPolicies.statements(arn)) {
                boolean readsParameters = s.actions().stream().anyMatch(a -> IamPolicy.wildcard(a, "ssm:GetParameter", true)
                        || IamPolicy.wildcard(a, "ssm:GetParameters", true));
                if (readsParameters && s.resources().contains("*")) {
                    // The managed grant is on every parameter: the role's Deny must leave only its own two.
                    assertThat(role.allows("ssm:GetParameters", parameter("/Moodle/other-stack/Site/Config")))
                            .as(arn + " grants parameter reads on *").isFalse();
                }
            }
        }
    }

    /** upgrade-moodle.sh writes the upgrade record (and reads it back); it is the one parameter they write. */
    @ParameterizedTest
    @ValueSource(strings = {"Wizard", "Unattended"})
    void theInstancesWriteTheUpgradeRecordAndNoOtherParameter(String installMode) {
        IamPolicy role = webRole(installMode);
        String record = parameter("/Moodle/moodle/Automation/Upgrade");

        assertThat(role.allows("ssm:PutParameter", record)).isTrue();
        assertThat(role.allows("ssm:GetParameter", record)).isTrue();
        for (String name : List.of("/Moodle/moodle/Automation/Status", "/Moodle/moodle/Site/Config",
                "/Moodle/moodle/IsMoodleSetupCompleted", "/Moodle/other-stack/Automation/Upgrade",
                "/Moodle/moodle/Automation/Upgrade/x")) {
            assertThat(role.allows("ssm:PutParameter", parameter(name))).as("PutParameter on %s", name).isFalse();
        }
        assertThat(role.allows("ssm:GetParameter", parameter("/Moodle/other-stack/Automation/Upgrade"))).isFalse();
        assertThat(role.allows("ssm:PutParameter", "*")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Wizard", "Unattended"})
    void theInstancesReadNoSecretOutsideTheirStack(String installMode) {
        IamPolicy role = webRole(installMode);
        for (String secret : List.of(arn("secretsmanager", "secret:/Moodle/other-stack/DatabaseAppUser-AbCdEf"),
                arn("secretsmanager", "secret:rds!cluster-9999-ZyXwVu"), arn("secretsmanager", "secret:prod/api-key-AbCdEf"),
                "*")) {
            assertThat(role.allows("secretsmanager:GetSecretValue", secret)).as(secret).isFalse();
        }
        // ensure-app-user.sh reads the master to create the application user; config.php gets the app secret.
        assertThat(role.allows("secretsmanager:GetSecretValue", RESOURCES.get("DatabaseCluster.MasterUserSecret.SecretArn"))).isTrue();
        assertThat(role.allows("secretsmanager:GetSecretValue", RESOURCES.get("DatabaseAppSecret"))).isTrue();
        assertThat(role.grantsAction("secretsmanager:PutSecretValue")).isFalse();
        assertThat(role.grantsAction("secretsmanager:ListSecrets")).isFalse();
    }

    @Test
    void withADirectoryCaTheInstancesReadThatOneParameterToo() {
        String ca = parameter("/org/ldap/ca");
        IamPolicy withCa = template.rolePolicy("WebInstanceRole", new CfnTemplate.Resolver(template, STACK,
                Map.of("LdapHost", "ldap.example.edu", "LdapCaParameter", "/org/ldap/ca"), RESOURCES));
        IamPolicy ldapWithoutCa = template.rolePolicy("WebInstanceRole", new CfnTemplate.Resolver(template, STACK,
                Map.of("LdapHost", "ldap.example.edu"), RESOURCES));

        // directory-ca.sh reads it through the same GetParameter the site configuration takes.
        assertThat(withCa.allows("ssm:GetParameter", ca)).isTrue();
        assertThat(withCa.allows("ssm:GetParameter", parameter("/org/ldap/other"))).isFalse();
        assertThat(withCa.allows("ssm:GetParameter", parameter("/Moodle/moodle/Site/Config"))).isTrue();
        assertThat(ldapWithoutCa.allows("ssm:GetParameter", ca)).isFalse();
        assertThat(webRole("Wizard").allows("ssm:GetParameter", ca)).isFalse();
    }

    @Test
    void withMailAndLdapTheInstancesReadTheSmtpSecretAndTheBindSecretButNotTheSmtpUsersKey() {
        String smtp = arn("secretsmanager", "secret:MailSmtpSecret-AbCdEf");
        String key = arn("secretsmanager", "secret:MailSmtpKeySecret-AbCdEf");
        String bind = arn("secretsmanager", "secret:directory/moodle-bind-AbCdEf");
        Map<String, String> resources = new java.util.HashMap<>(RESOURCES);
        resources.putAll(Map.of("MailSmtpSecret", smtp, "MailSmtpKeySecret", key));
        IamPolicy withBoth = template.rolePolicy("WebInstanceRole", new CfnTemplate.Resolver(template, STACK,
                Map.of("MailDomain", "example.edu", "LdapHost", "ldap.example.edu", "LdapBindSecretArn", bind), resources));
        IamPolicy without = webRole("Wizard");

        // apply-moodle-config.sh hands smtppass and auth_ldap/bind_pw to Moodle from these two.
        assertThat(withBoth.allows("secretsmanager:GetSecretValue", smtp)).isTrue();
        assertThat(withBoth.allows("secretsmanager:GetSecretValue", bind)).isTrue();
        // The IAM key itself is only for MailSmtpCredentials (the MoodleSource function).
        assertThat(withBoth.allows("secretsmanager:GetSecretValue", key)).isFalse();
        assertThat(withBoth.grantsAction("secretsmanager:PutSecretValue")).isFalse();
        assertThat(without.allows("secretsmanager:GetSecretValue", smtp)).isFalse();
        assertThat(without.allows("secretsmanager:GetSecretValue", bind)).isFalse();
    }

    // --- the CloudWatch agent ----------------------------------------------------------------

    @Test
    void theAgentWritesOnlyToTheStacksLogGroupWhichTheTemplateOwns() {
        IamPolicy role = webRole("Wizard");
        String group = resolver("Wizard").string(template.properties("WebLogGroup").get("LogGroupName"));
        assertThat(group).isEqualTo("/moodle/moodle/web");
        assertThat(template.properties("WebLogGroup")).as("the template sets the retention").containsKey("RetentionInDays");

        String groupArn = arn("logs", "log-group:" + group);
        String stream = groupArn + ":log-stream:i-0123456789abcdef0/httpd-error";
        assertThat(role.allows("logs:CreateLogStream", groupArn)).isTrue();
        assertThat(role.allows("logs:CreateLogStream", groupArn + ":*")).isTrue();
        assertThat(role.allows("logs:PutLogEvents", stream)).isTrue();
        assertThat(role.allows("logs:DescribeLogStreams", groupArn)).isTrue();

        for (String other : List.of("/moodle/other-stack/web", "/moodle/moodle/web-other", "/aws/lambda/moodle-converger",
                "/moodle/moodle")) {
            String otherArn = arn("logs", "log-group:" + other);
            for (String action : List.of("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")) {
                assertThat(role.allows(action, otherArn)).as("%s on %s", action, other).isFalse();
                assertThat(role.allows(action, otherArn + ":log-stream:x")).as("%s on %s", action, other).isFalse();
            }
        }
        // The template owns the group and its retention.
        for (String action : List.of("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy", "logs:PutSubscriptionFilter", "logs:AssociateKmsKey")) {
            assertThat(role.grantsAction(action)).as(action).isFalse();
        }
    }

    @Test
    void theAgentPutsMetricsOnlyInItsOwnNamespace() throws Exception {
        IamPolicy role = webRole("Wizard");
        String namespace = agentConfig().path("metrics").path("namespace").asText();
        assertThat(namespace).isEqualTo("CWAgent");

        assertThat(role.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", namespace))).isTrue();
        for (String other : List.of("AWS/EC2", "Moodle/Autopilot", "cwagent", "CWAgent2")) {
            assertThat(role.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", other))).as(other).isFalse();
        }
        assertThat(role.allows("cloudwatch:PutMetricData", "*")).as("without a namespace").isFalse();
        assertThat(role.grantsAction("cloudwatch:PutMetricAlarm")).isFalse();
        assertThat(role.grantsAction("cloudwatch:DeleteAlarms")).isFalse();
    }

    @Test
    void theAgentMayLookUpItsDimensionsBecauseItsConfigurationAppendsThem() throws Exception {
        IamPolicy role = webRole("Wizard");
        JsonNode dimensions = agentConfig().path("metrics").path("append_dimensions");
        assertThat(dimensions.path("AutoScalingGroupName").asText()).isEqualTo("${aws:AutoScalingGroupName}");
        // The group's name is one of the instance's tags; EC2 Describe calls take no resource.
        assertThat(role.allows("ec2:DescribeTags", "*")).isTrue();
        assertThat(role.grantsAction("ec2:CreateTags")).isFalse();
        assertThat(role.grantsAction("xray:PutTraceSegments")).as("the agent collects no traces").isFalse();
    }

    // --- CodeDeploy ----------------------------------------------------------------------------

    @Test
    void codeDeployHasNoManagedPolicyAndActsOnlyOnTheStacksGroupAndTargetGroup() {
        assertThat(template.managedPolicyArns("CodeDeployServiceRole", resolver("Wizard"))).isEmpty();
        IamPolicy role = codeDeployRole();

        String group = arn("autoscaling", "autoScalingGroup:6d2d1f2e-0c8b-4e7a-9c55-2b1f1d0e3a11:autoScalingGroupName/");
        for (String action : List.of("autoscaling:PutLifecycleHook", "autoscaling:DeleteLifecycleHook",
                "autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat")) {
            assertThat(role.allows(action, group + "moodle-web")).as(action).isTrue();
            for (String other : List.of("other-stack-web", "moodle-other-web", "moodle-web-web")) {
                assertThat(role.allows(action, group + other)).as("%s on %s", action, other).isFalse();
            }
            assertThat(role.allows(action, "*")).as(action + " on *").isFalse();
        }
        for (String action : List.of("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")) {
            assertThat(role.allows(action, TARGET_GROUP)).as(action).isTrue();
            assertThat(role.allows(action, arn("elasticloadbalancing", "targetgroup/other-web/fedcba9876543210")))
                    .as(action).isFalse();
            assertThat(role.allows(action, "*")).as(action + " on *").isFalse();
        }
        // Finding the group's instances and the target group's health: no resource-level permissions.
        for (String action : List.of("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLifecycleHooks",
                "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "tag:GetResources",
                "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth")) {
            assertThat(role.allows(action, "*")).as(action).isTrue();
        }
    }

    @Test
    void codeDeployCannotCreateOrChangeGroupsLaunchInstancesOrPassRoles() {
        IamPolicy role = codeDeployRole();
        for (String action : List.of("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup",
                "autoscaling:DeleteAutoScalingGroup", "autoscaling:PutScalingPolicy", "autoscaling:PutWarmPool",
                "autoscaling:SuspendProcesses", "autoscaling:ResumeProcesses", "autoscaling:CreateOrUpdateTags",
                "autoscaling:AttachLoadBalancerTargetGroups", "autoscaling:PutNotificationConfiguration",
                "autoscaling:PutScheduledUpdateGroupAction", "autoscaling:SetDesiredCapacity",
                "ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateTags", "iam:PassRole", "sns:Publish",
                "cloudwatch:PutMetricAlarm", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:DeleteTargetGroup")) {
            assertThat(role.grantsAction(action)).as(action).isFalse();
        }
    }
}
