package io.moodleautopilot.source;

import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.Json;
import com.amazonaws.services.lambda.runtime.Context;
import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.source.aws.S3SourceStore;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.release.BundleFiles;
import io.moodleautopilot.core.release.HttpReleaseDownloader;
import io.moodleautopilot.core.release.MoodleSourceService;
import io.moodleautopilot.core.release.SourceSettings;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.CustomResourceResponder;
import io.moodleautopilot.function.JsonEventHandler;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import io.moodleautopilot.source.aws.S3PluginObjects;
import io.moodleautopilot.source.aws.SsmUpgradeRecords;
import org.slf4j.MDC;

/**
 * Entry point of the MoodleSource custom resource: parses the CloudFormation request, builds the
 * staging service for this stack and hands both to {@link SourceResource}; everything that decides
 * lives in {@link MoodleSourceService}. It also serves {@value EmptyBucketsResource#TYPE}
 * ({@link EmptyBucketsResource}) and {@value SmtpCredentialsResource#TYPE}
 * ({@link SmtpCredentialsResource}), chosen by the request's resource type.
 */
public class MoodleSourceHandler extends JsonEventHandler {
    /** One set of clients per container, used by the runtime's instance. */
    private static final AwsClients RUNTIME_CLIENTS = new AwsClients();
    private static final Logger LOG = LoggerFactory.getLogger(MoodleSourceHandler.class);

    private final Supplier<S3Client> s3;
    private final Supplier<SecretsManagerClient> secretsManager;
    private final Supplier<SsmClient> ssm;
    private final Supplier<BundleFiles> bundle;
    private final CustomResourceProtocol protocol;
    private final Path workRoot;

    /** Used by the Lambda runtime: one set of clients per container. */
    public MoodleSourceHandler() {
        this(System.getenv(), RUNTIME_CLIENTS);
    }

    /** The tests and the local runner pass the environment that template.yaml declares. */
    public MoodleSourceHandler(Map<String, String> env, AwsClients clients) {
        this(env, clients, ClasspathBundle.memoized(ClasspathBundle.ROOT), new CustomResourceResponder(),
                Path.of(System.getProperty("java.io.tmpdir")));
    }

    MoodleSourceHandler(Map<String, String> env, AwsClients clients, Supplier<BundleFiles> bundle,
                        CustomResourceResponder responder, Path workRoot) {
        super(env);
        this.s3 = clients.transferClient(S3Client::builder);
        this.secretsManager = clients.client(SecretsManagerClient::builder);
        this.ssm = clients.client(SsmClient::builder);
        this.bundle = bundle;
        this.protocol = new CustomResourceProtocol(responder);
        this.workRoot = workRoot;
    }

    @Override
    protected JsonObject handle(byte[] payload, Context context) {
        MDC.put("stack", stack());
        Optional<CustomResourceRequest> parsed = parse(payload);
        if (parsed.isEmpty()) {
            LOG.error("event rejected, nothing changed: not a CloudFormation custom resource request");
            return failure("REJECTED", "RejectedEvent", "event is not a CloudFormation custom resource request");
        }
        CustomResourceRequest request = parsed.get();
        MDC.put("requestType", request.requestType());
        if (EmptyBucketsResource.TYPE.equals(request.resourceType())) {
            // The same function serves the stack's second custom resource (it has the S3 client).
            return protocol.handle(request, context,
                    new EmptyBucketsResource(new BucketEmptier(s3), telemetry, stack(), namespace()));
        }
        if (SmtpCredentialsResource.TYPE.equals(request.resourceType())) {
            return protocol.handle(request, context,
                    new SmtpCredentialsResource(secretsManager, telemetry, stack(), namespace()));
        }
        SourceSettings settings;
        try {
            settings = SourceSettings.from(env);
        } catch (ConfigurationException e) {
            LOG.error("configuration error, nothing changed: {}", e.getMessage());
            protocol.answerFailed(request, SourceSettings.physicalId(stack()), e.getMessage());
            return failure("CONFIGURATION_ERROR", "ConfigurationError", e.getMessage());
        }
        MoodleSourceService service = new MoodleSourceService(
                new S3SourceStore(s3, settings.bucket(), settings.objectKey()),
                new HttpReleaseDownloader(), new ZipSourcePackager(), bundle, workRoot,
                new S3PluginObjects(s3, settings.bucket()), new SsmUpgradeRecords(ssm, settings.upgradeParameter()));
        return protocol.handle(request, context, new SourceResource(service, telemetry, settings, namespace()));
    }

    private static Optional<CustomResourceRequest> parse(byte[] payload) {
        try {
            JsonValue event = Json.parse(payload);
            return CustomResourceRequest.parse(event);
        } catch (JsonException e) {
            return Optional.empty();
        }
    }
}
