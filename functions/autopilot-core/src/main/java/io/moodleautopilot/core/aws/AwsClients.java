package io.moodleautopilot.core.aws;

import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per container, each on first use or ahead of it on a background
 * thread ({@link #prewarmInBackground}).
 *
 * <p>The region is explicit ({@code AWS_REGION}, which Lambda always sets). Credentials come from the
 * SDK's default chain, because Lambda does not always feed the same provider: an on-demand function
 * gets the session variables ({@code AWS_ACCESS_KEY_ID}, ...), a SnapStart function gets none of them,
 * only the container credentials endpoint ({@code AWS_CONTAINER_CREDENTIALS_FULL_URI} with
 * {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}); see docs/decisions.md. Endpoints are left to the SDK's
 * standard {@code AWS_ENDPOINT_URL[_<SERVICE>]} settings.
 */
public final class AwsClients {
    private final Supplier<Shared> shared = memoize(Shared::new);
    private final Supplier<SsmClient> ssm;
    private final Supplier<AutoScalingClient> autoScaling;
    private final Supplier<CloudWatchClient> cloudWatch;
    private final Supplier<CodePipelineClient> codePipeline;
    private final Supplier<RdsClient> rds;
    private final Supplier<SecretsManagerClient> secretsManager;
    private final Supplier<EventBridgeClient> eventBridge;
    private final Supplier<DynamoDbClient> dynamoDb;
    private final Supplier<SnsClient> sns;
    private final Supplier<S3Client> s3;

    /** What all clients share: one HTTP client, the region, the credentials, the timeouts. */
    private static final class Shared {
        final SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(3))
                .socketTimeout(Duration.ofSeconds(10))
                .build();
        final Region region = new SystemSettingsRegionProvider().getRegion();
        // Never a pinned provider: under SnapStart only the container provider is fed (see above).
        final AwsCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
        // The SDK's standard retries (3 attempts with backoff) absorb throttling and 5xx; the
        // overall bound keeps a hung endpoint from eating the function's whole timeout.
        final ClientOverrideConfiguration overrides = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(Duration.ofSeconds(8))
                .apiCallTimeout(Duration.ofSeconds(20))
                .build();
        // Uploads of a whole Moodle release (about 100 MB, at most 1 GiB) need longer than an API
        // call; the caller's own deadline still bounds the function.
        final ClientOverrideConfiguration transfers = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(Duration.ofMinutes(5))
                .apiCallTimeout(Duration.ofMinutes(12))
                .build();
    }

    /** Cheap: nothing is built until a client is asked for (or {@link #prewarmInBackground}). */
    public AwsClients() {
        this.ssm = client(SsmClient::builder);
        this.autoScaling = client(AutoScalingClient::builder);
        this.cloudWatch = client(CloudWatchClient::builder);
        this.codePipeline = client(CodePipelineClient::builder);
        this.rds = client(RdsClient::builder);
        this.secretsManager = client(SecretsManagerClient::builder);
        this.eventBridge = client(EventBridgeClient::builder);
        this.dynamoDb = client(DynamoDbClient::builder);
        this.sns = client(SnsClient::builder);
        this.s3 = client(S3Client::builder, true);
    }

    private <B extends AwsSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> Supplier<C> client(Supplier<B> builder) {
        return client(builder, false);
    }

    private <B extends AwsSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> Supplier<C> client(Supplier<B> builder,
                                                                                                  boolean transfers) {
        return memoize(() -> {
            Shared s = shared.get();
            return builder.get().httpClient(s.http).region(s.region).credentialsProvider(s.credentials)
                    .overrideConfiguration(transfers ? s.transfers : s.overrides).build();
        });
    }

    /**
     * Builds the given clients on a background thread, so that the SDK's one-off class loading and
     * endpoint-rule setup (a few hundred ms on a cold JVM) overlaps with the handler's own
     * initialisation (logging, JSON) instead of following it. A caller that needs a client first
     * simply waits for the build in progress.
     */
    @SafeVarargs
    public final AwsClients prewarmInBackground(Supplier<?>... clients) {
        Thread t = new Thread(() -> {
            for (Supplier<?> c : clients) {
                c.get();
            }
        }, "aws-clients-prewarm");
        t.setDaemon(true);
        t.start();
        return this;
    }

    public Supplier<SsmClient> ssm() {
        return ssm;
    }

    public Supplier<AutoScalingClient> autoScaling() {
        return autoScaling;
    }

    public Supplier<CloudWatchClient> cloudWatch() {
        return cloudWatch;
    }

    public Supplier<CodePipelineClient> codePipeline() {
        return codePipeline;
    }

    public Supplier<RdsClient> rds() {
        return rds;
    }

    public Supplier<SecretsManagerClient> secretsManager() {
        return secretsManager;
    }

    public Supplier<EventBridgeClient> eventBridge() {
        return eventBridge;
    }

    public Supplier<DynamoDbClient> dynamoDb() {
        return dynamoDb;
    }

    public Supplier<SnsClient> sns() {
        return sns;
    }

    /** For object transfers: longer call timeouts than the other clients. */
    public Supplier<S3Client> s3() {
        return s3;
    }

    static <T> Supplier<T> memoize(Supplier<T> factory) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public T get() {
                T v = value;
                if (v == null) {
                    synchronized (this) {
                        v = value;
                        if (v == null) {
                            v = factory.get();
                            value = v;
                        }
                    }
                }
                return v;
            }
        };
    }
}
