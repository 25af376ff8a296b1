package io.moodleautopilot.testbed;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The single AWS endpoint the functions see in tests and in the local stack: a WireMock proxy in
 * front of moto that (1) answers the operations moto lacks through {@link StandIn}s, and (2)
 * injects the failures real AWS produces on chosen operations: throttling, 5xx and slow answers,
 * each for a number of calls. Every other request is proxied to moto untouched. Operations are recognised on the wire as the SDK sends
 * them: {@code X-Amz-Target} for JSON-protocol services (SSM, CodePipeline) and the
 * {@code Action} form field for query-protocol services (Auto Scaling, CloudWatch).
 */
public final class AwsGateway implements AutoCloseable {
    public enum Fault { THROTTLE, SERVER_ERROR, SLOW, CANNED }

    private record Plan(Fault fault, AtomicInteger remaining, int delayMillis, ResponseDefinition canned) {
        Plan(Fault fault, AtomicInteger remaining, int delayMillis) {
            this(fault, remaining, delayMillis, null);
        }
    }

    private final Map<String, Plan> plans = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    private final WireMockServer server;
    private final List<StandIn> standIns;

    public AwsGateway(String targetUrl, List<StandIn> standIns) {
        this(targetUrl, standIns, 0);
    }

    public AwsGateway(String targetUrl, List<StandIn> standIns, int port) {
        this.standIns = List.copyOf(standIns);
        server = new WireMockServer(options().bindAddress("127.0.0.1").port(port).extensions(new Injector()));
        server.start();
        server.stubFor(any(anyUrl()).willReturn(aResponse().proxiedFrom(targetUrl).withTransformers(Injector.NAME)));
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The next {@code times} calls of {@code operation} (e.g. "PutParameter") fail with {@code fault}. */
    public void inject(String operation, Fault fault, int times) {
        plans.put(operation, new Plan(fault, new AtomicInteger(times), 0));
    }

    /** The next {@code times} calls of {@code operation} are answered after {@code delayMillis}. */
    public void delay(String operation, int delayMillis, int times) {
        plans.put(operation, new Plan(Fault.SLOW, new AtomicInteger(times), delayMillis));
    }

    /**
     * The next {@code times} calls of {@code operation} get this answer, written in the service's
     * own protocol by the test (for states moto cannot produce, such as a cluster in 'modifying').
     */
    public void respond(String operation, int status, String contentType, String body, int times) {
        plans.put(operation, new Plan(Fault.CANNED, new AtomicInteger(times), 0, new ResponseDefinitionBuilder()
                .withStatus(status).withHeader("Content-Type", contentType).withBody(body).build()));
    }

    /** How many requests (attempts, retries included) reached the proxy for an operation. */
    public int attempts(String operation) {
        return seen.getOrDefault(operation, new AtomicInteger()).get();
    }

    public void clear() {
        plans.clear();
        seen.clear();
    }

    @Override
    public void close() {
        server.stop();
    }

    static String operationOf(Request request) {
        String target = request.getHeader("X-Amz-Target");
        if (target != null && target.contains(".")) {
            return target.substring(target.lastIndexOf('.') + 1);
        }
        String body = request.getBodyAsString();
        for (String pair : body.split("&")) {
            if (pair.startsWith("Action=")) {
                return URLDecoder.decode(pair.substring(7), StandardCharsets.UTF_8);
            }
        }
        return "";
    }

    private static boolean jsonProtocol(Request request) {
        return request.getHeader("X-Amz-Target") != null;
    }

    private final class Injector implements ResponseDefinitionTransformerV2 {
        static final String NAME = "fault-injector";

        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            Request request = serveEvent.getRequest();
            ResponseDefinition proxied = serveEvent.getResponseDefinition();
            String operation = operationOf(request);
            seen.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
            Plan plan = plans.get(operation);
            if (plan == null || plan.remaining().getAndDecrement() <= 0) {
                for (StandIn standIn : standIns) {
                    if (standIn.handles(operation, request)) {
                        return standIn.answer(operation, request);
                    }
                }
                return proxied;
            }
            return switch (plan.fault()) {
                case SLOW -> ResponseDefinitionBuilder.like(proxied).withFixedDelay(plan.delayMillis()).build();
                case CANNED -> plan.canned();
                case THROTTLE -> jsonProtocol(request)
                        ? json(400, "ThrottlingException", "Rate exceeded")
                        : query(request, 400, "Sender", "Throttling", "Rate exceeded");
                case SERVER_ERROR -> jsonProtocol(request)
                        ? json(500, "InternalServerError", "We encountered an internal error. Please try again.")
                        : query(request, 500, "Receiver", "InternalFailure", "We encountered an internal error. Please try again.");
            };
        }

        @Override
        public boolean applyGlobally() {
            return false;
        }

        @Override
        public String getName() {
            return NAME;
        }
    }

    private static ResponseDefinition json(int status, String type, String message) {
        return new ResponseDefinitionBuilder().withStatus(status)
                .withHeader("Content-Type", "application/x-amz-json-1.1")
                .withHeader("x-amzn-RequestId", UUID.randomUUID().toString())
                .withBody("{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}")
                .build();
    }

    /** Each query-protocol service answers errors in its own XML namespace, named by the request's Version. */
    private static final Map<String, String> QUERY_NAMESPACES = Map.of(
            "2011-01-01", "http://autoscaling.amazonaws.com/doc/2011-01-01/",
            "2010-08-01", "http://monitoring.amazonaws.com/doc/2010-08-01/",
            "2014-10-31", "http://rds.amazonaws.com/doc/2014-10-31/",
            "2010-03-31", "http://sns.amazonaws.com/doc/2010-03-31/");

    private static ResponseDefinition query(Request request, int status, String type, String code, String message) {
        String version = "";
        for (String pair : request.getBodyAsString().split("&")) {
            if (pair.startsWith("Version=")) {
                version = pair.substring(8);
            }
        }
        String namespace = QUERY_NAMESPACES.getOrDefault(version, "http://webservices.amazon.com/" + version + "/");
        return new ResponseDefinitionBuilder().withStatus(status)
                .withHeader("Content-Type", "text/xml")
                .withBody("<ErrorResponse xmlns=\"" + namespace + "\">"
                        + "<Error><Type>" + type + "</Type><Code>" + code + "</Code><Message>" + message
                        + "</Message></Error><RequestId>" + UUID.randomUUID() + "</RequestId></ErrorResponse>")
                .build();
    }
}
