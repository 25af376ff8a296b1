package io.moodleautopilot.function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Answers CloudFormation by PUTting the response document to the pre-signed S3 URL of the request,
 * as the custom resource protocol requires. Shared by every function that backs a custom resource.
 */
public class CustomResourceResponder {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** CloudFormation rejects a Reason longer than this in the response document. */
    private static final int MAX_REASON = 1000;
    /** Worst case of one answer: connect plus read timeout. Callers keep at least this much time back. */
    public static final long MAX_ANSWER_MILLIS = 15_000;

    /** What the response document repeats from the request, and where it goes. */
    public interface Request {
        String responseUrl();

        String stackId();

        String requestId();

        String logicalResourceId();
    }

    public void respond(Request request, boolean success, String physicalResourceId,
                        String reason, Map<String, String> data) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("Status", success ? "SUCCESS" : "FAILED");
        String text = reason == null ? "" : reason;
        body.put("Reason", text.length() > MAX_REASON ? text.substring(0, MAX_REASON) : text);
        body.put("PhysicalResourceId", physicalResourceId);
        body.put("StackId", request.stackId());
        body.put("RequestId", request.requestId());
        body.put("LogicalResourceId", request.logicalResourceId());
        body.put("NoEcho", false);
        ObjectNode dataNode = body.putObject("Data");
        data.forEach(dataNode::put);
        put(request.responseUrl(), body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void put(String url, byte[] body) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(10_000);
            c.setDoOutput(true);
            c.setRequestMethod("PUT");
            // The pre-signed URL is signed without a content type; sending one breaks the signature.
            c.setRequestProperty("Content-Type", "");
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            c.disconnect();
            if (status / 100 != 2) {
                throw new IOException("CloudFormation response URL answered HTTP " + status);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException("could not deliver the custom resource response",
                    e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        }
    }
}
