package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.ComparisonOperator;
import software.amazon.awssdk.services.cloudwatch.model.MetricAlarm;
import software.amazon.awssdk.services.cloudwatch.model.StateValue;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The AlarmReactor's world in the emulator: the converger's stack (group, CPU alarms, flag), the
 * ledger table, the alarm topic with an SQS queue subscribed to it (the tests read what was really
 * published), more alarms of the stack, and CloudWatch Alarm State Change events built from real
 * alarm states in AWS's shape.
 */
public final class ReactorStack {
    public static final String FUNCTION = "AlarmReactorFunction";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** CloudWatch's event timestamp format. */
    private static final DateTimeFormatter CLOUDWATCH_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxx").withZone(ZoneOffset.UTC);

    public final ConvergerStack converger;
    public final String name;
    public final String table;
    private String topicArn;
    private String queueUrl;
    private final Map<String, String> params;
    private final CfnTemplate template = CfnTemplate.load();

    public ReactorStack(String name, Map<String, String> parameterOverrides) {
        this.name = name;
        this.table = name + "-alarm-ledger";
        this.params = new LinkedHashMap<>(parameterOverrides);
        this.converger = new ConvergerStack(name, parameterOverrides);
    }

    public ReactorStack create() {
        converger.create();
        try (DynamoDbClient ddb = AwsCallRecorder.unrecorded(DynamoDbClient.builder());
             SnsClient sns = AwsCallRecorder.unrecorded(SnsClient.builder());
             SqsClient sqs = AwsCallRecorder.unrecorded(SqsClient.builder())) {
            ddb.createTable(r -> r.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("alarmName")
                            .attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("alarmName").keyType(KeyType.HASH).build()));
            topicArn = sns.createTopic(r -> r.name(name + "-alarms")).topicArn();
            queueUrl = sqs.createQueue(r -> r.queueName(name + "-alarm-inbox")).queueUrl();
            String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            sns.subscribe(r -> r.topicArn(topicArn).protocol("sqs").endpoint(queueArn));
        }
        return this;
    }

    private CfnTemplate.Resolver resolver() {
        return new CfnTemplate.Resolver(template, name, params, Map.of(
                "WebAutoScalingGroup", converger.webGroup,
                "AlarmLedgerTable", table,
                "AlarmLedgerTable.Arn", "arn:aws:dynamodb:us-east-1:123456789012:table/" + table,
                "AlarmTopic", topicArn == null ? "arn:aws:sns:us-east-1:123456789012:" + name + "-alarms" : topicArn));
    }

    public Map<String, String> functionEnvironment() {
        return template.functionEnvironment(FUNCTION, resolver());
    }

    public IamPolicy functionPolicy() {
        return template.functionPolicy(FUNCTION, resolver());
    }

    /** The setup flag for the phase (what the reactor reads) and the status the converger would have recorded. */
    public void setPhase(String phase) {
        converger.setFlag("PRODUCTION".equals(phase) ? "Yes" : "No");
        setStatusOnly(phase);
    }

    /** Only the converger's status record, e.g. one a superseded converge left behind. */
    public void setStatusOnly(String phase) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.putParameter(r -> r.name(converger.statusParameter()).type(ParameterType.STRING).overwrite(true)
                    .value("{\"phase\":\"" + phase + "\",\"flagVersion\":2,\"pipelineExecutionId\":null,\"actions\":[],"
                            + "\"trigger\":\"SCHEDULE\",\"transitionedAt\":\"2026-11-22T10:00:00Z\",\"updatedAt\":\"2026-11-22T10:00:00Z\"}"));
        }
    }

    /** Another alarm of the stack (e.g. "alb-5xx"), as the base infrastructure names them. */
    public String createAlarm(String suffix) {
        String alarm = name + "-" + suffix;
        try (CloudWatchClient cw = AwsCallRecorder.unrecorded(CloudWatchClient.builder())) {
            cw.putMetricAlarm(r -> r.alarmName(alarm).namespace("AWS/ApplicationELB").metricName("HTTPCode_ELB_5XX_Count")
                    .statistic(Statistic.SUM).period(60).evaluationPeriods(1).threshold(10.0)
                    .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD).actionsEnabled(true));
        }
        return alarm;
    }

    /**
     * Sets the alarm's state in CloudWatch and returns the event EventBridge delivers for it, built
     * from the alarm as CloudWatch now describes it.
     */
    public byte[] transition(String alarm, String state, String reason) {
        try (CloudWatchClient cw = AwsCallRecorder.unrecorded(CloudWatchClient.builder())) {
            MetricAlarm before = cw.describeAlarms(r -> r.alarmNames(alarm)).metricAlarms().get(0);
            String reasonData = "{\"version\":\"1.0\",\"queryDate\":\"2026-11-22T10:15:03.017+0000\","
                    + "\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[91.2,94.7,97.0],\"threshold\":75.0}";
            cw.setAlarmState(r -> r.alarmName(alarm).stateValue(StateValue.fromValue(state)).stateReason(reason)
                    .stateReasonData(reasonData));
            MetricAlarm a = cw.describeAlarms(r -> r.alarmNames(alarm)).metricAlarms().get(0);
            return event(a, before);
        }
    }

    static byte[] event(MetricAlarm a, MetricAlarm before) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("version", "0");
        e.put("id", UUID.randomUUID().toString());
        e.put("detail-type", "CloudWatch Alarm State Change");
        e.put("source", "aws.cloudwatch");
        e.put("account", MotoServer.ACCOUNT);
        e.put("time", DateTimeFormatter.ISO_INSTANT.format(a.stateUpdatedTimestamp().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        e.put("region", MotoServer.REGION);
        e.putArray("resources").add(a.alarmArn());
        ObjectNode d = e.putObject("detail");
        d.put("alarmName", a.alarmName());
        ObjectNode st = d.putObject("state");
        st.put("value", a.stateValueAsString());
        st.put("reason", a.stateReason());
        if (a.stateReasonData() != null) {
            st.put("reasonData", a.stateReasonData());
        }
        st.put("timestamp", CLOUDWATCH_TIME.format(a.stateUpdatedTimestamp()));
        ObjectNode prev = d.putObject("previousState");
        prev.put("value", before.stateValueAsString());
        prev.put("reason", before.stateReason() == null ? "" : before.stateReason());
        prev.put("timestamp", CLOUDWATCH_TIME.format(before.stateUpdatedTimestamp()));
        ObjectNode conf = d.putObject("configuration");
        conf.put("description", a.alarmDescription() == null ? "" : a.alarmDescription());
        try {
            return MAPPER.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The messages published to the topic so far (subject and body), read from the subscribed queue. */
    public List<Map<String, String>> messages() {
        List<Map<String, String>> out = new ArrayList<>();
        try (SqsClient sqs = AwsCallRecorder.unrecorded(SqsClient.builder())) {
            while (true) {
                List<Message> batch = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)).messages();
                if (batch.isEmpty()) {
                    return out;
                }
                for (Message m : batch) {
                    JsonNode envelope = MAPPER.readTree(m.body());
                    out.add(Map.of("subject", envelope.path("Subject").asText(), "message", envelope.path("Message").asText()));
                    sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
