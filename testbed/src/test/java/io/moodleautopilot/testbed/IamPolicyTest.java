package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}
