package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.Ports;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sns.SnsClient;

/** The stack's operator topic (the one the AlarmReactor publishes to). */
public final class SnsNotifier implements Ports.Notifier {
    private final Supplier<SnsClient> sns;
    private final String topicArn;

    public SnsNotifier(Supplier<SnsClient> sns, String topicArn) {
        this.sns = sns;
        this.topicArn = topicArn;
    }

    @Override
    public void publish(String subject, String message) {
        sns.get().publish(r -> r.topicArn(topicArn).subject(subject).message(message));
    }
}
