package io.moodleautopilot.core.release;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Downloads a release with the JDK's HTTP client: redirects followed (never from HTTPS to HTTP),
 * a connect timeout, the caller's deadline over the whole transfer, and a size cap. Anything but
 * HTTP 200 is a failure with the status in the message.
 */
public final class HttpReleaseDownloader implements ReleasePorts.Downloader {
    /** Moodle releases are about 100 MB; a GiB is far beyond any real one and well inside /tmp. */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** A long download reports its progress at most this often. */
    static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

    private final HttpClient http;
    private final long maxBytes;

    public HttpReleaseDownloader() {
        this(DEFAULT_MAX_BYTES);
    }

    public HttpReleaseDownloader(long maxBytes) {
        this.maxBytes = maxBytes;
        this.http = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public ReleasePorts.Download download(URI url, Path target, Deadline deadline, ReleasePorts.Progress progress) {
        return download(url, target, maxBytes, deadline, progress);
    }

    /** As {@link #download(URI, Path, Deadline, ReleasePorts.Progress)}, capped at the smaller of the two limits. */
    @Override
    public ReleasePorts.Download download(URI url, Path target, long capBytes, Deadline deadline,
                                          ReleasePorts.Progress progress) {
        long cap = Math.min(maxBytes, capBytes);
        String shown = ReleaseSpec.display(url);
        deadline.check("downloading " + shown);
        Duration remaining = deadline.remaining();
        HttpRequest request = HttpRequest.newBuilder(url).GET()
                .timeout(remaining.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : remaining)
                .header("User-Agent", "moodle-autopilot-moodle-source")
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new StagingException("download of " + shown + " got no answer in time (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new StagingException("download of " + shown + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StagingException("download of " + shown + " was interrupted", e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new StagingException("download of " + shown + " answered HTTP " + response.statusCode()
                        + (response.uri().equals(url) ? "" : " (at " + ReleaseSpec.display(response.uri()) + ")")
                        + ", expected 200");
            }
            long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (total > cap) {
                throw new StagingException("download of " + shown + " is " + total + " bytes, more than the "
                        + cap + " bytes allowed");
            }
            return copy(body, target, total, cap, shown, deadline, progress);
        } catch (IOException e) {
            throw new StagingException("download of " + shown + " failed while reading: " + describe(e), e);
        }
    }

    private ReleasePorts.Download copy(InputStream body, Path target, long total, long cap, String shown,
                                       Deadline deadline, ReleasePorts.Progress progress) throws IOException {
        MessageDigest sha = BundleFiles.sha256();
        byte[] buffer = new byte[1 << 16];
        long bytes = 0;
        long lastReport = System.nanoTime();
        try (OutputStream out = Files.newOutputStream(target)) {
            int n;
            while ((n = body.read(buffer)) >= 0) {
                bytes += n;
                if (bytes > cap) {
                    throw new StagingException("download of " + shown + " exceeded the " + cap + " bytes allowed");
                }
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
                if (deadline.expired()) {
                    deadline.check("the download of " + shown + " finished (" + bytes + " bytes in)");
                }
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_INTERVAL.toNanos()) {
                    progress.downloaded(bytes, total);
                    lastReport = now;
                }
            }
        }
        if (total >= 0 && bytes != total) {
            throw new StagingException("download of " + shown + " ended after " + bytes + " of " + total + " bytes");
        }
        progress.downloaded(bytes, total);
        return new ReleasePorts.Download(bytes, HexFormat.of().formatHex(sha.digest()));
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
