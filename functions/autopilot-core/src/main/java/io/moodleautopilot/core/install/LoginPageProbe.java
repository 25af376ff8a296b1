package io.moodleautopilot.core.install;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Looks at /login/index.php through the load balancer, for the record only: HTTP cannot tell the
 * last install phases apart, and an anonymous GET of /admin/index.php would write to Moodle's
 * database, so only the login page is ever requested.
 */
public final class LoginPageProbe implements DetectorPorts.SiteProbe {
    private final String siteUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public LoginPageProbe(String siteUrl) {
        this.siteUrl = siteUrl == null ? "" : siteUrl.trim().replaceAll("/+$", "");
    }

    static String loginUrl(String siteUrl) {
        return siteUrl + "/login/index.php";
    }

    @Override
    public String probe() {
        if (siteUrl.isEmpty()) {
            return "not configured";
        }
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(loginUrl(siteUrl))).timeout(Duration.ofSeconds(5)).GET().build();
            return "HTTP " + http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return "unreachable: " + e.getClass().getSimpleName();
        }
    }
}
