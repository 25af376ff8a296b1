package io.moodleautopilot.aws;

import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;

/**
 * Builds a function's SDK clients, each once per container on first use, all sharing one HTTP
 * client, region, credentials provider and timeouts. This module names no AWS service: each
 * function depends on the service clients it calls and asks for them here
 * ({@code clients.client(SsmClient::builder)}), so its package carries nothing else.
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

    private final CloseWhilePriming closeWhilePriming = new CloseWhilePriming();

    /**
     * Runs the function's priming calls (before a SnapStart snapshot) with {@code Connection: close}
     * on each request, so that the server closes each connection and none is kept alive into the
     * snapshot, where it would be stale on restore. The clients, their classes and the credentials
     * provider stay built.
     */
    public void priming(Runnable calls) {
        closeWhilePriming.active = true;
        try {
            calls.run();
        } finally {
            closeWhilePriming.active = false;
        }
    }

    /** What all clients share: one HTTP client, the region, the credentials, the timeouts. */
    private final class Shared {
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
                .addExecutionInterceptor(closeWhilePriming)
                .apiCallAttemptTimeout(Duration.ofSeconds(8))
                .apiCallTimeout(Duration.ofSeconds(20))
                .build();
        // Uploads of a whole Moodle release (about 100 MB, at most 1 GiB) need longer than an API
        // call; the caller's own deadline still bounds the function.
        final ClientOverrideConfiguration transfers = ClientOverrideConfiguration.builder()
                .addExecutionInterceptor(closeWhilePriming)
                .apiCallAttemptTimeout(Duration.ofMinutes(5))
                .apiCallTimeout(Duration.ofMinutes(12))
                .build();
    }

    /** Cheap: nothing is built until a client is asked for. */
    public AwsClients() {
    }

    /** A client built on first use with the shared settings, for API calls. */
    public <B extends AwsSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> Supplier<C> client(Supplier<B> builder) {
        return client(builder, false);
    }

    /** For object transfers: longer call timeouts than the API clients. */
    public <B extends AwsSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> Supplier<C> transferClient(
            Supplier<B> builder) {
        return client(builder, true);
    }

    private <B extends AwsSyncClientBuilder<B, C> & AwsClientBuilder<B, C>, C> Supplier<C> client(Supplier<B> builder,
                                                                                                  boolean transfers) {
        return memoize(() -> {
            Shared s = shared.get();
            return builder.get().httpClient(s.http).region(s.region).credentialsProvider(s.credentials)
                    .overrideConfiguration(transfers ? s.transfers : s.overrides).build();
        });
    }

    private static final class CloseWhilePriming implements ExecutionInterceptor {
        volatile boolean active;

        @Override
        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
            return active ? context.httpRequest().toBuilder().putHeader("Connection", "close").build()
                    : context.httpRequest();
        }
    }

    /**
     * Builds the given clients side by side and returns when all are built: the SDK's one-off class
     * loading for each service (its model, its marshallers, its modelled exceptions) is the larger
     * part of a JVM's cold start, and it runs on the cores the function has rather than one after
     * the other. No thread outlives the call, so none is running when a SnapStart snapshot is taken.
     * A client that fails to build is left unbuilt: the call that needs it builds it again and fails
     * there, where the handler reports it.
     */
    public static void buildTogether(Supplier<?>... clients) {
        if (clients.length < 2 || Runtime.getRuntime().availableProcessors() < 2) {
            return;
        }
        Thread[] threads = new Thread[clients.length];
        for (int i = 0; i < clients.length; i++) {
            Supplier<?> client = clients[i];
            threads[i] = new Thread(() -> {
                try {
                    client.get();
                } catch (RuntimeException e) {
                    // Reported by the call that needs the client (see above).
                }
            }, "aws-client-build-" + i);
            threads[i].start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static <T> Supplier<T> memoize(Supplier<T> factory) {
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
