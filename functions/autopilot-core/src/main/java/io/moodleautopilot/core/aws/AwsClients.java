package io.moodleautopilot.core.aws;

import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the SDK clients once per container, each on first use: a replayed event needs only
 * Parameter Store, so the other clients never cost cold-start time on that path.
 *
 * <p>Region and credentials come from system properties or the environment only. Lambda sets
 * {@code AWS_REGION} and the credential variables; skipping the profile-file and instance-metadata
 * lookups of the default chains saves cold-start time and can never pick up a developer's own
 * profile. Endpoints are left to the SDK's standard {@code AWS_ENDPOINT_URL[_<SERVICE>]} settings.
 */
public final class AwsClients {
    private final SdkHttpClient http;
    private final Region region;
    private final AwsCredentialsProvider credentials;
    private final ClientOverrideConfiguration overrides;

    private final Supplier<SsmClient> ssm;
    private final Supplier<AutoScalingClient> autoScaling;
    private final Supplier<CloudWatchClient> cloudWatch;
    private final Supplier<CodePipelineClient> codePipeline;

    public AwsClients() {
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(3))
                .socketTimeout(Duration.ofSeconds(10))
                .build();
        this.region = new SystemSettingsRegionProvider().getRegion();
        this.credentials = AwsCredentialsProviderChain.of(
                SystemPropertyCredentialsProvider.create(), EnvironmentVariableCredentialsProvider.create());
        // The SDK's standard retries (3 attempts with backoff) absorb throttling and 5xx; the
        // overall bound keeps a hung endpoint from eating the function's whole timeout.
        this.overrides = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(Duration.ofSeconds(8))
                .apiCallTimeout(Duration.ofSeconds(20))
                .build();
        this.ssm = memoize(() -> SsmClient.builder().httpClient(http).region(region)
                .credentialsProvider(credentials).overrideConfiguration(overrides).build());
        this.autoScaling = memoize(() -> AutoScalingClient.builder().httpClient(http).region(region)
                .credentialsProvider(credentials).overrideConfiguration(overrides).build());
        this.cloudWatch = memoize(() -> CloudWatchClient.builder().httpClient(http).region(region)
                .credentialsProvider(credentials).overrideConfiguration(overrides).build());
        this.codePipeline = memoize(() -> CodePipelineClient.builder().httpClient(http).region(region)
                .credentialsProvider(credentials).overrideConfiguration(overrides).build());
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
