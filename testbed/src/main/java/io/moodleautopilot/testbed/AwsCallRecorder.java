package io.moodleautopilot.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.UpdateAutoScalingGroupRequest;
import software.amazon.awssdk.services.cloudwatch.model.DescribeAlarmsRequest;
import software.amazon.awssdk.services.cloudwatch.model.DisableAlarmActionsRequest;
import software.amazon.awssdk.services.cloudwatch.model.EnableAlarmActionsRequest;
import software.amazon.awssdk.services.codepipeline.model.StartPipelineExecutionRequest;
import software.amazon.awssdk.services.ssm.model.DeleteParametersRequest;
import software.amazon.awssdk.services.ssm.model.GetParameterRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersRequest;
import software.amazon.awssdk.services.ssm.model.PutParameterRequest;

/**
 * Records every AWS API call made inside {@link #record}, with the IAM action and resource ARNs it
 * needs, through the SDK's global interceptor hook (registered by this module's
 * {@code software/amazon/awssdk/global/handlers/execution.interceptors}). The function code is
 * unchanged: any client it builds is observed.
 *
 * <p>A request type this class cannot map is recorded on an "unmapped:" resource, which fails the
 * IAM proof.
 */
public final class AwsCallRecorder implements ExecutionInterceptor {
    /** Set on the clients of test infrastructure (stand-ins, fixtures), whose calls are not the function's. */
    public static final ExecutionAttribute<Boolean> NOT_RECORDED = new ExecutionAttribute<>("autopilot.testbed.notRecorded");

    private static final List<RecordedCall> CALLS = new CopyOnWriteArrayList<>();
    private static volatile boolean recording;
    private static volatile List<RecordedCall> last = List.of();

    /** Builds a client for test infrastructure (fixtures, stand-ins): its calls are never recorded. */
    public static <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>, C> C unrecorded(B builder) {
        return builder.overrideConfiguration(c -> c.putExecutionAttribute(NOT_RECORDED, true)).build();
    }

    /** Runs {@code work} and returns it with the calls it made. Not reentrant; tests run one at a time. */
    public static synchronized <T> Recorded<T> record(Supplier<T> work) {
        CALLS.clear();
        recording = true;
        try {
            T value = work.get();
            return new Recorded<>(value, new ArrayList<>(CALLS));
        } finally {
            recording = false;
            last = new ArrayList<>(CALLS);
        }
    }

    /** The calls of the last {@link #record}, also when its work threw. */
    public static List<RecordedCall> lastRecorded() {
        return List.copyOf(last);
    }

    public static synchronized Recorded<Void> record(Runnable work) {
        return record(() -> {
            work.run();
            return null;
        });
    }

    public record Recorded<T>(T value, List<RecordedCall> calls) {
        public long writes() {
            return calls.stream().filter(RecordedCall::isWrite).count();
        }
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (!recording || Boolean.TRUE.equals(attributes.getAttribute(NOT_RECORDED))) {
            return;
        }
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        CALLS.add(new RecordedCall(action(iamPrefix(service), operation, context.request()), resources(context.request())));
    }

    /**
     * The IAM action a call needs: the operation's name, except where IAM names it otherwise (S3:
     * HeadObject is authorised as s3:GetObject, ListObjectVersions as s3:ListBucketVersions, a
     * delete of one version as s3:DeleteObjectVersion).
     */
    static String action(String prefix, String operation, SdkRequest request) {
        return switch (request) {
            case software.amazon.awssdk.services.s3.model.HeadObjectRequest r ->
                    r.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion";
            case software.amazon.awssdk.services.s3.model.GetObjectRequest r ->
                    r.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion";
            case software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest r -> "s3:ListBucketVersions";
            case software.amazon.awssdk.services.s3.model.ListObjectsV2Request r -> "s3:ListBucket";
            case software.amazon.awssdk.services.s3.model.DeleteObjectRequest r ->
                    r.versionId() == null ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
            default -> prefix + ":" + operation;
        };
    }

    private static String iamPrefix(String sdkServiceName) {
        return switch (sdkServiceName.replace(" ", "").toLowerCase(java.util.Locale.ROOT)) {
            case "ssm" -> "ssm";
            case "autoscaling" -> "autoscaling";
            case "cloudwatch" -> "cloudwatch";
            case "codepipeline" -> "codepipeline";
            case "rds" -> "rds";
            case "secretsmanager" -> "secretsmanager";
            case "eventbridge" -> "events";
            case "dynamodb" -> "dynamodb";
            case "sns" -> "sns";
            case "s3" -> "s3";
            default -> throw new IllegalStateException("no IAM prefix known for SDK service " + sdkServiceName);
        };
    }

    static List<String> resources(SdkRequest request) {
        String region = MotoServer.REGION;
        String account = MotoServer.ACCOUNT;
        String ssm = "arn:aws:ssm:" + region + ":" + account + ":parameter";
        String alarm = "arn:aws:cloudwatch:" + region + ":" + account + ":alarm:";
        return switch (request) {
            case GetParametersRequest r -> r.names().stream().map(n -> ssm + withSlash(n)).toList();
            case GetParameterRequest r -> List.of(ssm + withSlash(r.name()));
            case PutParameterRequest r -> List.of(ssm + withSlash(r.name()));
            case DeleteParametersRequest r -> r.names().stream().map(n -> ssm + withSlash(n)).toList();
            case software.amazon.awssdk.services.ssm.model.GetParametersByPathRequest r ->
                    List.of(ssm + withSlash(r.path()));
            // DescribeAutoScalingGroups has no resource-level permission: IAM evaluates it on "*".
            case DescribeAutoScalingGroupsRequest r -> List.of("*");
            case UpdateAutoScalingGroupRequest r -> List.of("arn:aws:autoscaling:" + region + ":" + account
                    + ":autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/"
                    + r.autoScalingGroupName());
            case DescribeAlarmsRequest r -> r.alarmNames().stream().map(n -> alarm + n).toList();
            case EnableAlarmActionsRequest r -> r.alarmNames().stream().map(n -> alarm + n).toList();
            case DisableAlarmActionsRequest r -> r.alarmNames().stream().map(n -> alarm + n).toList();
            case software.amazon.awssdk.services.rds.model.DescribeDbClustersRequest r ->
                    List.of("arn:aws:rds:" + region + ":" + account + ":cluster:" + r.dbClusterIdentifier());
            case software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest r ->
                    List.of(r.secretId().startsWith("arn:") ? r.secretId()
                            : "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + r.secretId());
            case software.amazon.awssdk.services.secretsmanager.model.PutSecretValueRequest r ->
                    List.of(r.secretId().startsWith("arn:") ? r.secretId()
                            : "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + r.secretId());
            case software.amazon.awssdk.services.secretsmanager.model.DescribeSecretRequest r ->
                    List.of(r.secretId().startsWith("arn:") ? r.secretId()
                            : "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + r.secretId());
            // Run Command by tag: SSM resolves the instances when it runs; IAM authorises the document
            // and each instance (the policy scopes instances by their Auto Scaling group tag).
            case software.amazon.awssdk.services.ssm.model.SendCommandRequest r -> java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("arn:aws:ssm:" + region + ":" + account + ":document/" + r.documentName()),
                    r.instanceIds().isEmpty()
                            ? java.util.stream.Stream.of("arn:aws:ec2:" + region + ":" + account + ":instance/*")
                            : r.instanceIds().stream().map(i -> "arn:aws:ec2:" + region + ":" + account + ":instance/" + i))
                    .toList();
            // GetCommandInvocation has no resource-level permission: IAM evaluates it on "*".
            case software.amazon.awssdk.services.ssm.model.GetCommandInvocationRequest r -> List.of("*");
            case software.amazon.awssdk.services.eventbridge.model.DisableRuleRequest r ->
                    List.of("arn:aws:events:" + region + ":" + account + ":rule/" + r.name());
            case software.amazon.awssdk.services.eventbridge.model.EnableRuleRequest r ->
                    List.of("arn:aws:events:" + region + ":" + account + ":rule/" + r.name());
            case software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest r -> List.of(table(r.tableName()));
            case software.amazon.awssdk.services.dynamodb.model.PutItemRequest r -> List.of(table(r.tableName()));
            case software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest r -> List.of(table(r.tableName()));
            case software.amazon.awssdk.services.sns.model.PublishRequest r -> List.of(r.topicArn());
            case StartPipelineExecutionRequest r -> List.of("arn:aws:codepipeline:" + region + ":" + account + ":" + r.name());
            case software.amazon.awssdk.services.codepipeline.model.GetPipelineRequest r ->
                    List.of("arn:aws:codepipeline:" + region + ":" + account + ":" + r.name());
            // A transition is authorised on its stage: arn:...:codepipeline:region:account:pipeline/stage.
            case software.amazon.awssdk.services.codepipeline.model.EnableStageTransitionRequest r ->
                    List.of("arn:aws:codepipeline:" + region + ":" + account + ":" + r.pipelineName() + "/" + r.stageName());
            // S3 ARNs carry neither region nor account.
            case software.amazon.awssdk.services.s3.model.HeadObjectRequest r -> List.of(s3Object(r.bucket(), r.key()));
            case software.amazon.awssdk.services.s3.model.GetObjectRequest r -> List.of(s3Object(r.bucket(), r.key()));
            case software.amazon.awssdk.services.s3.model.PutObjectRequest r -> List.of(s3Object(r.bucket(), r.key()));
            case software.amazon.awssdk.services.s3.model.DeleteObjectRequest r -> List.of(s3Object(r.bucket(), r.key()));
            case software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest r -> List.of("arn:aws:s3:::" + r.bucket());
            case software.amazon.awssdk.services.s3.model.ListObjectsV2Request r -> List.of("arn:aws:s3:::" + r.bucket());
            case software.amazon.awssdk.services.s3.model.GetBucketTaggingRequest r -> List.of("arn:aws:s3:::" + r.bucket());
            // Recorded as a resource no policy grants, so the IAM proof fails and names the request:
            // a new AWS call must come with its mapping here and its permission in template.yaml.
            default -> List.of("unmapped:" + request.getClass().getSimpleName());
        };
    }

    private static String s3Object(String bucket, String key) {
        return "arn:aws:s3:::" + bucket + "/" + key;
    }

    private static String table(String name) {
        return "arn:aws:dynamodb:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":table/" + name;
    }

    private static String withSlash(String parameterName) {
        return parameterName.startsWith("/") ? parameterName : "/" + parameterName;
    }
}
