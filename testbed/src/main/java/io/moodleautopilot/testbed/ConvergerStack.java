package io.moodleautopilot.testbed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.ComparisonOperator;
import software.amazon.awssdk.services.cloudwatch.model.MetricAlarm;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.RuleState;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Command;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The resources of template.yaml that the LifecycleConverger acts on, created in the emulator the
 * way the stack creates them (names from the template's naming scheme), plus the function's
 * environment and IAM policy exactly as template.yaml declares them for this stack.
 */
public final class ConvergerStack {
    public static final String FUNCTION = "LifecycleConvergerFunction";

    public final String name;
    public final String webGroup;
    public final String cpuHighAlarm;
    public final String cpuLowAlarm;
    public final String pipeline;
    private final CfnTemplate template = CfnTemplate.load();
    private final CfnTemplate.Resolver resolver;
    private String notificationQueue;

    public ConvergerStack(String name, Map<String, String> parameterOverrides) {
        this.name = name;
        this.webGroup = name + "-web";
        this.cpuHighAlarm = name + "-web-cpu-high";
        this.cpuLowAlarm = name + "-web-cpu-low";
        // Names the stack's resources get in AWS, as the template's intrinsic functions see them;
        // an override replaces a parameter or a resource name alike (e.g. "DeploymentPipeline").
        Map<String, String> resources = new LinkedHashMap<>(Map.of(
                "WebAutoScalingGroup", webGroup,
                "WebCpuHighAlarm", cpuHighAlarm,
                "WebCpuLowAlarm", cpuLowAlarm,
                "SetupCompletedParameter", "/Moodle/" + name + "/IsMoodleSetupCompleted",
                "DeploymentPipeline", name + "-deploy",
                "SessionReplicationGroup.PrimaryEndPoint.Address", "sessions.abc123.cache.amazonaws.com",
                "SessionMemcached.ConfigurationEndpoint.Address", "sessions.abc123.cfg.use1.cache.amazonaws.com",
                "SessionServerlessCache.Endpoint.Address", "sessions-x.serverless.use1.cache.amazonaws.com",
                "MoodleSource.VersionId", "release-v1",
                "ConfigRenderDocument", name + "-render-config"));
        resources.putAll(Map.of(
                "MoodleSettingsParameter", "/Moodle/" + name + "/Site/Settings",
                "MoodleConfigDocument", name + "-moodle-config",
                "ApplicationReplicationGroup.PrimaryEndPoint.Address", "app.abc123.cache.amazonaws.com",
                "ApplicationServerlessCache.Endpoint.Address", "app-x.serverless.use1.cache.amazonaws.com"));
        resources.putAll(Map.of(
                "UpgradeRecordParameter", "/Moodle/" + name + "/Automation/Upgrade",
                "UpgradeDocument", name + "-moodle-upgrade",
                "AlarmTopic", "arn:aws:sns:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":" + name + "-alarms"));
        resources.putAll(parameterOverrides);
        this.pipeline = resources.get("DeploymentPipeline");
        Map<String, String> params = parameterOverrides;
        this.resolver = new CfnTemplate.Resolver(template, name, params, resources);
    }

    public ConvergerStack(String name) {
        this(name, Map.of());
    }


    public Map<String, String> functionEnvironment() {
        return template.functionEnvironment(FUNCTION, resolver);
    }

    public IamPolicy functionPolicy() {
        return template.functionPolicy(FUNCTION, resolver);
    }

    public String settingsParameter() {
        return "/Moodle/" + name + "/Site/Settings";
    }

    public String moodleConfigDocument() {
        return name + "-moodle-config";
    }

    /** Replaces the operator's Moodle settings document. */
    public void setSettings(String json) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.putParameter(r -> r.name(settingsParameter()).value(json).type(ParameterType.STRING).overwrite(true));
        }
    }

    /**
     * The Moodle configuration commands sent so far, oldest first: their decoded payloads. (moto
     * records every instance it knows as a command's instances, so which instance a command went to
     * is read from the recorded SendCommand call instead.)
     */
    public List<String> moodleConfigCommands() {
        return commands(moodleConfigDocument()).stream()
                .map(c -> new String(Base64.getDecoder().decode(c.parameters().get("Payload").get(0)),
                        StandardCharsets.UTF_8))
                .toList();
    }

    /** The web group's instances, as Auto Scaling lists them. */
    public List<String> instances() {
        return group().instances().stream().map(i -> i.instanceId()).sorted().toList();
    }

    public String upgradeParameter() {
        return "/Moodle/" + name + "/Automation/Upgrade";
    }

    public String upgradeDocument() {
        return name + "-moodle-upgrade";
    }

    /** Writes the upgrade record as the instances' upgrade-moodle.sh would. */
    public void setUpgradeRecord(String json) {
        putParameter(upgradeParameter(), json);
    }

    /** The upgrade commands sent so far, oldest first: their ids. */
    public List<String> upgradeCommands() {
        return commands(upgradeDocument()).stream().map(Command::commandId).toList();
    }

    /**
     * The stack's operator topic with an SQS queue subscribed to it, so a test reads what was really
     * published (the topic is the AlarmReactor's; created here only by the tests that need it).
     */
    public ConvergerStack withNotifications() {
        try (SnsClient sns = AwsCallRecorder.unrecorded(SnsClient.builder());
             SqsClient sqs = AwsCallRecorder.unrecorded(SqsClient.builder())) {
            String topicArn = sns.createTopic(r -> r.name(name + "-alarms")).topicArn();
            notificationQueue = sqs.createQueue(r -> r.queueName(name + "-converger-inbox")).queueUrl();
            String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(notificationQueue)
                    .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
            sns.subscribe(r -> r.topicArn(topicArn).protocol("sqs").endpoint(queueArn));
        }
        return this;
    }

    /** The messages published to the operator topic since the last call (subject and body). */
    public List<Map<String, String>> notifications() {
        List<Map<String, String>> out = new java.util.ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        try (SqsClient sqs = AwsCallRecorder.unrecorded(SqsClient.builder())) {
            while (true) {
                List<Message> batch = sqs.receiveMessage(r -> r.queueUrl(notificationQueue).maxNumberOfMessages(10))
                        .messages();
                if (batch.isEmpty()) {
                    return out;
                }
                for (Message m : batch) {
                    var envelope = mapper.readTree(m.body());
                    out.add(Map.of("subject", envelope.path("Subject").asText(),
                            "message", envelope.path("Message").asText()));
                    sqs.deleteMessage(r -> r.queueUrl(notificationQueue).receiptHandle(m.receiptHandle()));
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String renderDocument() {
        return name + "-render-config";
    }

    /** The Run Command commands sent with the render document, oldest first: their targets. */
    public List<String> renderCommands() {
        return commands(renderDocument()).stream().map(c -> c.targets().toString()).toList();
    }

    /** The Run Command commands sent with a document, oldest first. */
    private static List<Command> commands(String document) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            // moto ignores ListCommands' filters: the document is chosen here.
            return ssm.listCommands(r -> r.maxResults(50)).commands().stream()
                    .filter(c -> c.documentName().equals(document))
                    .sorted(Comparator.comparing(Command::requestedDateTime))
                    .toList();
        }
    }

    public String flagParameter() {
        return "/Moodle/" + name + "/IsMoodleSetupCompleted";
    }

    public String statusParameter() {
        return "/Moodle/" + name + "/Automation/Status";
    }

    public String sessionParameter() {
        return "/Moodle/" + name + "/Automation/SessionConfig";
    }

    /** Install mode as the stack creates it: 1/1/1, scaling alarms with actions off, flag "No". */
    public ConvergerStack create() {
        try (Ec2Client ec2 = AwsCallRecorder.unrecorded(Ec2Client.builder()); AutoScalingClient asg = AwsCallRecorder.unrecorded(AutoScalingClient.builder());
             CloudWatchClient cw = AwsCallRecorder.unrecorded(CloudWatchClient.builder()); SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            String lt = name + "-web";
            ec2.createLaunchTemplate(r -> r.launchTemplateName(lt)
                    .launchTemplateData(d -> d.imageId("ami-12c6146b").instanceType("t4g.medium")));
            asg.createAutoScalingGroup(r -> r.autoScalingGroupName(webGroup)
                    .launchTemplate(t -> t.launchTemplateName(lt).version("$Latest"))
                    .minSize(1).maxSize(1).desiredCapacity(1)
                    .availabilityZones(MotoServer.REGION + "a"));
            for (String alarm : List.of(cpuHighAlarm, cpuLowAlarm)) {
                boolean high = alarm.equals(cpuHighAlarm);
                cw.putMetricAlarm(r -> r.alarmName(alarm).namespace("AWS/EC2").metricName("CPUUtilization")
                        .statistic(Statistic.AVERAGE).period(60).evaluationPeriods(3)
                        .threshold(high ? 75.0 : 25.0)
                        .comparisonOperator(high ? ComparisonOperator.GREATER_THAN_THRESHOLD
                                : ComparisonOperator.LESS_THAN_THRESHOLD)
                        .dimensions(d -> d.name("AutoScalingGroupName").value(webGroup))
                        .actionsEnabled(false));
            }
            ssm.putParameter(r -> r.name(flagParameter()).value("No").type(ParameterType.STRING));
            // The settings document as the template writes it at creation (its recommended defaults).
            String settings = resolver.string(template.properties("MoodleSettingsParameter").get("Value"));
            ssm.putParameter(r -> r.name(settingsParameter()).value(settings).type(ParameterType.STRING));
            ssm.createDocument(r -> r.name(moodleConfigDocument()).documentType("Command").content(
                    "{\"schemaVersion\":\"2.2\",\"description\":\"apply Moodle settings\",\"parameters\":{\"Payload\":"
                            + "{\"type\":\"String\"}},\"mainSteps\":[{\"action\":\"aws:runShellScript\",\"name\":\"apply\","
                            + "\"inputs\":{\"runCommand\":[\"true\"]}}]}"));
            // The upgrade record as the template creates it.
            ssm.putParameter(r -> r.name(upgradeParameter()).value("{\"state\":\"NONE\"}").type(ParameterType.STRING));
            ssm.createDocument(r -> r.name(upgradeDocument()).documentType("Command").content(
                    "{\"schemaVersion\":\"2.2\",\"description\":\"upgrade Moodle\",\"mainSteps\":[{\"action\":"
                            + "\"aws:runShellScript\",\"name\":\"upgradeMoodle\",\"inputs\":{\"runCommand\":[\"true\"]}}]}"));
            ssm.createDocument(r -> r.name(renderDocument()).documentType("Command").content(
                    "{\"schemaVersion\":\"2.2\",\"description\":\"render config.php\",\"mainSteps\":[{\"action\":"
                            + "\"aws:runShellScript\",\"name\":\"renderConfig\",\"inputs\":{\"runCommand\":[\"true\"]}}]}"));
        }
        String detectorRule = functionEnvironment().getOrDefault("INSTALL_DETECTOR_RULE", "");
        if (!detectorRule.isEmpty()) {
            try (EventBridgeClient events = AwsCallRecorder.unrecorded(EventBridgeClient.builder())) {
                // As the detector leaves it once the site is installed.
                events.putRule(r -> r.name(detectorRule).scheduleExpression("rate(1 minute)").state(RuleState.DISABLED));
            }
        }
        return this;
    }

    public long setFlag(String value) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            return ssm.putParameter(r -> r.name(flagParameter()).value(value).type(ParameterType.STRING)
                    .overwrite(true)).version();
        }
    }

    public void deleteFlag() {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.deleteParameter(r -> r.name(flagParameter()));
        }
    }

    public AutoScalingGroup group() {
        try (AutoScalingClient asg = AwsCallRecorder.unrecorded(AutoScalingClient.builder())) {
            return asg.describeAutoScalingGroups(r -> r.autoScalingGroupNames(webGroup)).autoScalingGroups().get(0);
        }
    }

    public String limits() {
        AutoScalingGroup g = group();
        return g.minSize() + "/" + g.maxSize() + "/" + g.desiredCapacity();
    }

    public void setLimits(int min, int max, int desired) {
        try (AutoScalingClient asg = AwsCallRecorder.unrecorded(AutoScalingClient.builder())) {
            asg.updateAutoScalingGroup(r -> r.autoScalingGroupName(webGroup).minSize(min).maxSize(max)
                    .desiredCapacity(desired));
        }
    }

    public boolean detectorRuleEnabled() {
        try (EventBridgeClient events = AwsCallRecorder.unrecorded(EventBridgeClient.builder())) {
            return events.describeRule(r -> r.name(name + "-install-detector")).state() == RuleState.ENABLED;
        }
    }

    public Map<String, Boolean> alarmActions() {
        try (CloudWatchClient cw = AwsCallRecorder.unrecorded(CloudWatchClient.builder())) {
            Map<String, Boolean> out = new LinkedHashMap<>();
            for (MetricAlarm a : cw.describeAlarms(r -> r.alarmNames(cpuHighAlarm, cpuLowAlarm)).metricAlarms()) {
                out.put(a.alarmName(), a.actionsEnabled());
            }
            return out;
        }
    }

    /**
     * Rewrites the status record's release, as a converge that read the status before another
     * one wrote it would see it (or, with null, as a record written before releases were tracked).
     */
    public void setStatusRelease(String release) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode status = (ObjectNode) mapper.readTree(parameter(statusParameter()));
            if (release == null) {
                status.remove("releaseVersion");
            } else {
                status.put("releaseVersion", release);
            }
            ssm.putParameter(r -> r.name(statusParameter()).value(status.toString()).type(ParameterType.STRING)
                    .overwrite(true));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a parameter as another component would (the InstallDetector's records, say). */
    public void putParameter(String parameterName, String value) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.putParameter(r -> r.name(parameterName).value(value).type(ParameterType.STRING).overwrite(true));
        }
    }

    /** The parameter's value, or null when it does not exist. */
    public String parameter(String parameterName) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            return ssm.getParameter(r -> r.name(parameterName)).parameter().value();
        } catch (ParameterNotFoundException e) {
            return null;
        }
    }
}
