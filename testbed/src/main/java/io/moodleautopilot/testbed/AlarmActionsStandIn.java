package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.MetricAlarm;

/**
 * Covers a moto 5.2.1 gap: CloudWatch EnableAlarmActions and DisableAlarmActions raise
 * NotImplementedError (HTTP 500). This stand-in speaks the CloudWatch query protocol for both and
 * applies them to moto's own alarm, by writing the alarm back with PutMetricAlarm and the new
 * ActionsEnabled, so DescribeAlarms in moto shows the change. (A side effect real AWS does not
 * have: moto resets the alarm's state value on that write.)
 */
public final class AlarmActionsStandIn implements StandIn, AutoCloseable {
    private final CloudWatchClient moto;

    public AlarmActionsStandIn(String motoUrl) {
        this.moto = CloudWatchClient.builder()
                .endpointOverride(URI.create(motoUrl))
                .region(Region.of(MotoServer.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.putExecutionAttribute(AwsCallRecorder.NOT_RECORDED, true))
                .build();
    }

    @Override
    public boolean handles(String operation, Request request) {
        return operation.equals("EnableAlarmActions") || operation.equals("DisableAlarmActions");
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        boolean enable = operation.equals("EnableAlarmActions");
        List<String> names = alarmNames(request.getBodyAsString());
        // Unknown names are ignored, as CloudWatch does.
        for (MetricAlarm a : moto.describeAlarms(r -> r.alarmNames(names)).metricAlarms()) {
            moto.putMetricAlarm(r -> r.alarmName(a.alarmName())
                    .alarmDescription(a.alarmDescription())
                    .actionsEnabled(enable)
                    .alarmActions(a.alarmActions())
                    .okActions(a.okActions())
                    .insufficientDataActions(a.insufficientDataActions())
                    .namespace(a.namespace())
                    .metricName(a.metricName())
                    .dimensions(a.dimensions())
                    .statistic(a.statistic())
                    .extendedStatistic(a.extendedStatistic())
                    .period(a.period())
                    .evaluationPeriods(a.evaluationPeriods())
                    .datapointsToAlarm(a.datapointsToAlarm())
                    .threshold(a.threshold())
                    .comparisonOperator(a.comparisonOperator())
                    .treatMissingData(a.treatMissingData())
                    .unit(a.unit()));
        }
        return new ResponseDefinitionBuilder().withStatus(200)
                .withHeader("Content-Type", "text/xml")
                .withBody("<" + operation + "Response xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
                        + "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata></"
                        + operation + "Response>")
                .build();
    }

    static List<String> alarmNames(String formBody) {
        List<String> names = new ArrayList<>();
        for (String pair : formBody.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).startsWith("AlarmNames.member.")) {
                names.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return names;
    }

    @Override
    public void close() {
        moto.close();
    }
}
