package io.moodleautopilot.function;

import io.moodleautopilot.core.json.JsonObject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Answers CloudFormation by PUTting the response document to the pre-signed S3 URL of the request,
 * as the custom resource protocol requires. Shared by every function that backs a custom resource.
 *
 * <p>It answers only a URL that {@link ResponseUrlPolicy} accepts (https to an S3 endpoint, pre-signed),
 * follows no redirect, and fails only with {@link UncheckedIOException}.
 */
public class CustomResourceResponder {
    /** CloudFormation rejects a Reason longer than this in the response document. */
    private static final int MAX_REASON = 1000;
    /** Worst case of one answer: connect plus read timeout. Callers keep at least this much time back. */
    public static final long MAX_ANSWER_MILLIS = 15_000;
    private static final long CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final String FAILED = "could not deliver the custom resource response";

    /** What the response document repeats from the request, and where it goes. */
    public interface Request {
        String responseUrl();

        String stackId();

        String requestId();

        String logicalResourceId();
    }

    /**
     * @throws UncheckedIOException when the answer was not delivered: the URL is refused by
     *         {@link ResponseUrlPolicy} (nothing is contacted), or it could not be reached, or it
     *         answered other than 2xx (a redirect included, which is not followed)
     */
    public void respond(Request request, boolean success, String physicalResourceId,
                        String reason, Map<String, String> data) {
        JsonObject body = new JsonObject();
        body.put("Status", success ? "SUCCESS" : "FAILED");
        String text = reason == null ? "" : reason;
        body.put("Reason", text.length() > MAX_REASON ? text.substring(0, MAX_REASON) : text);
        body.put("PhysicalResourceId", physicalResourceId);
        body.put("StackId", request.stackId());
        body.put("RequestId", request.requestId());
        body.put("LogicalResourceId", request.logicalResourceId());
        body.put("NoEcho", false);
        JsonObject dataNode = body.putObject("Data");
        data.forEach(dataNode::put);
        put(request.responseUrl(), body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void put(String url, byte[] body) {
        var refusal = ResponseUrlPolicy.refusal(url);
        if (refusal.isPresent()) {
            throw new UncheckedIOException(FAILED, new IOException("refused to answer: " + refusal.get()));
        }
        // A client per answer: no pooled connection that S3 may have closed since the last answer of
        // this container (a PUT on one fails and is not retried). No redirect is followed: S3 takes
        // the PUT itself, and anything else is somewhere the request never named.
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MILLIS))
                .build();
        try {
            // The pre-signed URL is signed without a content type, and none is sent (one breaks the signature).
            HttpRequest put = HttpRequest.newBuilder(URI.create(url.trim()))
                    .timeout(Duration.ofMillis(MAX_ANSWER_MILLIS - CONNECT_TIMEOUT_MILLIS))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            int status = client.send(put, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 != 2) {
                throw new IOException("CloudFormation response URL answered HTTP " + status);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(FAILED, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(FAILED, new InterruptedIOException("interrupted while answering"));
        } catch (RuntimeException e) {
            // Whatever else the client throws: this method documents one exception only.
            throw new UncheckedIOException(FAILED,
                    new IOException(e.getClass().getSimpleName() + ": " + e.getMessage(), e));
        } finally {
            client.shutdownNow(); // nothing is left in flight; its threads and connection go now
        }
    }
}
