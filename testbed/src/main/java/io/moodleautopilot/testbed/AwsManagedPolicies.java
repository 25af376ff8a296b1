package io.moodleautopilot.testbed;

import java.util.List;
import java.util.Map;

/**
 * The documents of the AWS managed policies the template attaches or attached, so a role's
 * permissions can be evaluated with them. Copied from the AWS Managed Policy Reference
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/&lt;name&gt;.html) at the versions
 * named; AWS may change them. An ARN not listed here is refused: the proof cannot read a policy it
 * does not have.
 */
public final class AwsManagedPolicies {
    private AwsManagedPolicies() {
    }

    private static IamPolicy.Statement allowAll(String... actions) {
        return new IamPolicy.Statement("Allow", List.of(actions), List.of("*"));
    }

    private static final Map<String, List<IamPolicy.Statement>> POLICIES = Map.of(
            // v2 (default), edited 2019-05-23.
            "AmazonSSMManagedInstanceCore", List.of(
                    allowAll("ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
                            "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters",
                            "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory",
                            "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus",
                            "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"),
                    allowAll("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"),
                    allowAll("ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
                            "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply")),
            // As published (a copy of the document; the template no longer attaches it).
            "CloudWatchAgentServerPolicy", List.of(
                    allowAll("cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents",
                            "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:DescribeLogGroups",
                            "logs:CreateLogStream", "logs:CreateLogGroup", "xray:PutTraceSegments",
                            "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
                            "xray:GetSamplingStatisticSummaries"),
                    new IamPolicy.Statement("Allow", List.of("ssm:GetParameter"),
                            List.of("arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"))),
            // v11 (default), edited 2023-08-16 (the template no longer attaches it).
            "service-role/AWSCodeDeployRole", List.of(
                    allowAll("autoscaling:CompleteLifecycleAction", "autoscaling:DeleteLifecycleHook",
                            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLifecycleHooks",
                            "autoscaling:PutLifecycleHook", "autoscaling:RecordLifecycleActionHeartbeat",
                            "autoscaling:CreateAutoScalingGroup", "autoscaling:CreateOrUpdateTags",
                            "autoscaling:UpdateAutoScalingGroup", "autoscaling:EnableMetricsCollection",
                            "autoscaling:DescribePolicies", "autoscaling:DescribeScheduledActions",
                            "autoscaling:DescribeNotificationConfigurations", "autoscaling:SuspendProcesses",
                            "autoscaling:ResumeProcesses", "autoscaling:AttachLoadBalancers",
                            "autoscaling:AttachLoadBalancerTargetGroups", "autoscaling:PutScalingPolicy",
                            "autoscaling:PutScheduledUpdateGroupAction", "autoscaling:PutNotificationConfiguration",
                            "autoscaling:PutWarmPool", "autoscaling:DescribeScalingActivities",
                            "autoscaling:DeleteAutoScalingGroup", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus",
                            "ec2:TerminateInstances", "tag:GetResources", "sns:Publish", "cloudwatch:DescribeAlarms",
                            "cloudwatch:PutMetricAlarm", "elasticloadbalancing:DescribeLoadBalancerAttributes",
                            "elasticloadbalancing:DescribeTargetGroupAttributes",
                            "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeInstanceHealth",
                            "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
                            "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
                            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
                            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")));

    /** The statements of the managed policy with this ARN (any partition). */
    public static List<IamPolicy.Statement> statements(String arn) {
        String name = arn.replaceFirst("^arn:[a-z-]+:iam::aws:policy/", "");
        List<IamPolicy.Statement> statements = name.equals(arn) ? null : POLICIES.get(name);
        if (statements == null) {
            throw new IllegalStateException("not an AWS managed policy the proof knows: " + arn
                    + " (known: " + POLICIES.keySet() + ")");
        }
        return statements;
    }
}
