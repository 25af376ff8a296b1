package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download against a real local HTTP server: status, size cap, truncation, redirects, deadline. */
class HttpReleaseDownloaderTest {
    private static final byte[] BODY = "a small release archive".getBytes();
    private HttpServer server;
    private final List<String> progress = new ArrayList<>();
    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/release.tgz", ex -> {
            ex.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.createContext("/chunked.tgz", ex -> {
            ex.sendResponseHeaders(200, 0); // no Content-Length: chunked
            try (OutputStream out = ex.getResponseBody()) {
                out.write(BODY);
            }
        });
        server.createContext("/short.tgz", ex -> {
            ex.sendResponseHeaders(200, BODY.length + 100);
            ex.getResponseBody().write(BODY);
            ex.close(); // the connection ends before the announced length
        });
        server.createContext("/moved.tgz", ex -> {
            ex.getResponseHeaders().add("Location", "/release.tgz");
            ex.sendResponseHeaders(301, -1);
            ex.close();
        });
        server.createContext("/broken.tgz", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private ReleasePorts.Download download(HttpReleaseDownloader d, String path) {
        return d.download(url(path), dir.resolve("r.tgz"), Deadline.in(Duration.ofSeconds(20)),
                (bytes, total) -> progress.add(bytes + "/" + total));
    }

    @Test
    void streamsToTheFileAndComputesTheSha256() throws Exception {
        ReleasePorts.Download d = download(new HttpReleaseDownloader(), "/release.tgz");
        assertThat(d.bytes()).isEqualTo(BODY.length);
        assertThat(d.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BODY)));
        assertThat(Files.readAllBytes(dir.resolve("r.tgz"))).isEqualTo(BODY);
        assertThat(progress).containsExactly(BODY.length + "/" + BODY.length);
    }

    @Test
    void followsRedirects() {
        assertThat(download(new HttpReleaseDownloader(), "/moved.tgz").bytes()).isEqualTo(BODY.length);
    }

    @Test
    void anythingButOkIsAFailureWithTheStatus() {
        assertThatThrownBy(() -> download(new HttpReleaseDownloader(), "/broken.tgz"))
                .isInstanceOf(StagingException.class).hasMessageContaining("HTTP 503");
        assertThatThrownBy(() -> download(new HttpReleaseDownloader(), "/nothing-here.tgz"))
                .isInstanceOf(StagingException.class).hasMessageContaining("HTTP 404");
    }

    @Test
    void theSizeCapHoldsWithAndWithoutContentLength() {
        assertThatThrownBy(() -> download(new HttpReleaseDownloader(10), "/release.tgz"))
                .isInstanceOf(StagingException.class).hasMessageContaining("more than the 10 bytes allowed");
        assertThatThrownBy(() -> download(new HttpReleaseDownloader(10), "/chunked.tgz"))
                .isInstanceOf(StagingException.class).hasMessageContaining("exceeded the 10 bytes allowed");
        assertThat(download(new HttpReleaseDownloader(BODY.length), "/chunked.tgz").bytes()).isEqualTo(BODY.length);
    }

    @Test
    void aPerDownloadCapIsTheSmallerOfTheTwo() {
        assertThatThrownBy(() -> new HttpReleaseDownloader().download(url("/chunked.tgz"), dir.resolve("p"), 10,
                Deadline.in(Duration.ofSeconds(20)), (b, t) -> { }))
                .isInstanceOf(StagingException.class).hasMessageContaining("exceeded the 10 bytes allowed");
        assertThatThrownBy(() -> new HttpReleaseDownloader(10).download(url("/release.tgz"), dir.resolve("p"),
                1L << 20, Deadline.in(Duration.ofSeconds(20)), (b, t) -> { }))
                .isInstanceOf(StagingException.class).hasMessageContaining("more than the 10 bytes allowed");
        assertThat(new HttpReleaseDownloader().download(url("/release.tgz"), dir.resolve("p"), BODY.length,
                Deadline.in(Duration.ofSeconds(20)), (b, t) -> { }).bytes()).isEqualTo(BODY.length);
    }

    @Test
    void aTruncatedDownloadFails() {
        assertThatThrownBy(() -> download(new HttpReleaseDownloader(), "/short.tgz"))
                .isInstanceOf(StagingException.class);
    }

    @Test
    void anExpiredOrCancelledDeadlineStopsBeforeTheRequest() {
        Deadline cancelled = Deadline.in(Duration.ofMinutes(1));
        cancelled.cancel();
        assertThatThrownBy(() -> new HttpReleaseDownloader().download(url("/release.tgz"), dir.resolve("x"), cancelled,
                (b, t) -> { })).isInstanceOf(StagingException.class).hasMessageContaining("already been sent");
        assertThatThrownBy(() -> new HttpReleaseDownloader().download(url("/release.tgz"), dir.resolve("x"),
                Deadline.in(Duration.ZERO), (b, t) -> { })).isInstanceOf(StagingException.class)
                .hasMessageContaining("out of time");
    }
}
