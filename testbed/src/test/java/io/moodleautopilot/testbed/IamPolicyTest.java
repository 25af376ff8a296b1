package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IamPolicyTest {
    private final IamPolicy policy = new IamPolicy(List.of(
            new IamPolicy.Statement("Allow", List.of("ssm:GetParameters"),
                    List.of("arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/*")),
            new IamPolicy.Statement("Allow", List.of("autoscaling:Describe*"), List.of("*")),
            new IamPolicy.Statement("Deny", List.of("ssm:GetParameters"),
                    List.of("arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Secret"))));

    @Test
    void wildcardsMatchActionsCaseInsensitivelyAndResourcesExactly() {
        assertThat(policy.allows("SSM:getparameters", "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/X")).isTrue();
        assertThat(policy.allows("ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/other/X")).isFalse();
        assertThat(policy.allows("ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/moodle/moodle/X")).isFalse();
        assertThat(policy.allows("autoscaling:DescribeAutoScalingGroups", "*")).isTrue();
        assertThat(policy.allows("autoscaling:UpdateAutoScalingGroup", "*")).isFalse();
    }

    @Test
    void anExplicitDenyWins() {
        assertThat(policy.allows("ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Secret")).isFalse();
    }

    @Test
    void unusedGrantsAndViolationsAreReported() {
        List<RecordedCall> calls = List.of(
                new RecordedCall("ssm:GetParameters", List.of("arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/A")),
                new RecordedCall("ssm:PutParameter", List.of("arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/A")));
        assertThat(policy.violations(calls)).containsExactly(
                "ssm:PutParameter on arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/A");
        assertThat(policy.unusedActions(calls)).containsExactly("autoscaling:Describe*");
    }

    private static final String PARAM = "arn:aws:ssm:us-east-1:123456789012:parameter/";

    @Test
    void aDenyWithNotResourceDeniesEverythingButItsResources() {
        IamPolicy p = new IamPolicy(List.of(
                new IamPolicy.Statement("Allow", List.of("ssm:GetParameter*"), List.of("*")),
                new IamPolicy.Statement("Deny", List.of("ssm:GetParameter", "ssm:GetParameters"), List.of(),
                        List.of(PARAM + "Moodle/moodle/Site/Config"), Map.of())));
        assertThat(p.allows("ssm:GetParameter", PARAM + "Moodle/moodle/Site/Config")).isTrue();
        assertThat(p.allows("ssm:GetParameter", PARAM + "Moodle/other/Site/Config")).isFalse();
        assertThat(p.allows("ssm:GetParameters", PARAM + "Moodle/moodle/Site/Settings")).isFalse();
        assertThat(p.allows("ssm:GetParametersByPath", PARAM + "Moodle/other")).as("not a denied action").isTrue();
    }

    @Test
    void aConditionedStatementMatchesOnlyARequestWhoseContextSatisfiesIt() {
        IamPolicy p = new IamPolicy(List.of(
                new IamPolicy.Statement("Allow", List.of("cloudwatch:PutMetricData"), List.of("*"), List.of(),
                        Map.of("StringEquals", Map.of("cloudwatch:namespace", List.of("CWAgent")))),
                new IamPolicy.Statement("Allow", List.of("ssm:GetParameter"), List.of("*"), List.of(),
                        Map.of("StringLike", Map.of("aws:ResourceTag/Team", List.of("moodle-*")))),
                new IamPolicy.Statement("Deny", List.of("cloudwatch:PutMetricData"), List.of("*"), List.of(),
                        Map.of("StringEquals", Map.of("aws:RequestedRegion", List.of("eu-west-1"))))));
        assertThat(p.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", "CWAgent"))).isTrue();
        assertThat(p.allows("cloudwatch:PutMetricData", "*", Map.of("Cloudwatch:Namespace", "CWAgent")))
                .as("condition keys are case-insensitive").isTrue();
        assertThat(p.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", "cwagent")))
                .as("StringEquals values are not").isFalse();
        assertThat(p.allows("cloudwatch:PutMetricData", "*")).as("a missing key matches no condition").isFalse();
        assertThat(p.allows("cloudwatch:PutMetricData", "*",
                Map.of("cloudwatch:namespace", "CWAgent", "aws:RequestedRegion", "eu-west-1"))).isFalse();
        assertThat(p.allows("ssm:GetParameter", "x", Map.of("aws:ResourceTag/Team", "moodle-web"))).isTrue();
        assertThat(p.allows("ssm:GetParameter", "x", Map.of("aws:ResourceTag/Team", "other"))).isFalse();
        assertThat(p.grantsAction("CloudWatch:PutMetricData")).isTrue();
        assertThat(p.grantsAction("cloudwatch:PutMetricAlarm")).isFalse();
    }

    private static CfnTemplate roleTemplate(Path dir, String role) throws IOException {
        Files.writeString(dir.resolve("template.yaml"), "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n" + role);
        return CfnTemplate.load(dir.resolve("template.yaml"));
    }

    private static CfnTemplate.Resolver resolver(CfnTemplate t) {
        return new CfnTemplate.Resolver(t, "moodle", Map.of(), Map.of());
    }

    @Test
    void aRolesPolicyIncludesItsManagedPoliciesNotResourceAndConditions(@TempDir Path dir) throws IOException {
        CfnTemplate t = roleTemplate(dir, """
                      ManagedPolicyArns:
                        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore
                      Policies:
                        - PolicyName: p
                          PolicyDocument:
                            Statement:
                              - Effect: Deny
                                Action: [ssm:GetParameter, ssm:GetParameters]
                                NotResource: !Sub arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/${AWS::StackName}/*
                              - Effect: Allow
                                Action: cloudwatch:PutMetricData
                                Resource: '*'
                                Condition:
                                  StringEquals: {cloudwatch:namespace: CWAgent}
                """);
        IamPolicy p = t.rolePolicy("Role", resolver(t));
        assertThat(t.managedPolicyArns("Role", resolver(t))).containsExactly("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        assertThat(p.allows("ssmmessages:OpenDataChannel", "*")).as("from the managed policy").isTrue();
        assertThat(p.allows("ssm:GetParameter", PARAM + "Moodle/moodle/Site/Config")).isTrue();
        assertThat(p.allows("ssm:GetParameter", PARAM + "Moodle/other/Site/Config")).isFalse();
        assertThat(p.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", "CWAgent"))).isTrue();
        assertThat(p.allows("cloudwatch:PutMetricData", "*", Map.of("cloudwatch:namespace", "AWS/EC2"))).isFalse();
    }

    @Test
    void whatTheEvaluatorCannotReadFailsInsteadOfBeingLeftOut(@TempDir Path dir) throws IOException {
        CfnTemplate unknown = roleTemplate(dir, """
                      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
                """);
        assertThatThrownBy(() -> unknown.rolePolicy("Role", resolver(unknown))).hasMessageContaining("AdministratorAccess");
        CfnTemplate notAction = roleTemplate(dir, """
                      Policies:
                        - PolicyName: p
                          PolicyDocument:
                            Statement:
                              - {Effect: Allow, NotAction: iam:*, Resource: '*'}
                """);
        assertThatThrownBy(() -> notAction.rolePolicy("Role", resolver(notAction))).hasMessageContaining("NotAction");
        CfnTemplate operator = roleTemplate(dir, """
                      Policies:
                        - PolicyName: p
                          PolicyDocument:
                            Statement:
                              - Effect: Allow
                                Action: s3:GetObject
                                Resource: '*'
                                Condition: {ArnLike: {aws:SourceArn: 'arn:aws:s3:::x'}}
                """);
        assertThatThrownBy(() -> operator.rolePolicy("Role", resolver(operator))).hasMessageContaining("ArnLike");
    }
}
