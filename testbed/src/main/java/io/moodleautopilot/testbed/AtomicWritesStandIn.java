package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * Covers a moto 5.2.1 gap: its DynamoDB conditional writes are not atomic under concurrent
 * requests (the condition check and the write are not under one lock), while DynamoDB's are. This
 * stand-in forwards DynamoDB's write operations to moto unchanged, one at a time, so two concurrent
 * conditional writes behave as in DynamoDB: one succeeds, the other fails its condition. SSM's
 * create-only PutParameter (no Overwrite) is forwarded the same way: moto checks that the name is
 * free and appends the new version without a lock between them (read in moto/ssm/models.py; not
 * seen to race), where Parameter Store lets exactly one create succeed.
 */
public final class AtomicWritesStandIn implements StandIn {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> WRITES = Set.of("UpdateItem", "PutItem", "DeleteItem");
    private static final Set<String> HOP_BY_HOP = Set.of("host", "content-length", "connection", "transfer-encoding",
            "expect", "upgrade");
    private final String motoUrl;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Object lock = new Object();

    public AtomicWritesStandIn(String motoUrl) {
        this.motoUrl = motoUrl;
    }

    @Override
    public boolean handles(String operation, Request request) {
        String target = request.getHeader("X-Amz-Target");
        if ("AmazonSSM.PutParameter".equals(target)) {
            try {
                return !MAPPER.readTree(request.getBody()).path("Overwrite").asBoolean(false);
            } catch (IOException e) {
                return false;
            }
        }
        return target != null && target.startsWith("DynamoDB_20120810.") && WRITES.contains(operation);
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(motoUrl + request.getUrl()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.getBody()));
        for (HttpHeader h : request.getHeaders().all()) {
            if (!HOP_BY_HOP.contains(h.key().toLowerCase(java.util.Locale.ROOT))) {
                h.values().forEach(v -> forward.header(h.key(), v));
            }
        }
        HttpResponse<byte[]> response;
        synchronized (lock) {
            try {
                response = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                return new ResponseDefinitionBuilder().withStatus(502).withBody(e.toString()).build();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ResponseDefinitionBuilder().withStatus(503).build();
            }
        }
        ResponseDefinitionBuilder b = new ResponseDefinitionBuilder().withStatus(response.statusCode()).withBody(response.body());
        response.headers().firstValue("Content-Type").ifPresent(v -> b.withHeader("Content-Type", v));
        response.headers().firstValue("x-amzn-RequestId").ifPresent(v -> b.withHeader("x-amzn-RequestId", v));
        return b.build();
    }
}
