package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * What the Moodle-side scripts receive: the settings and the application cache, as JSON, carried
 * in base64. Base64's alphabet is all the SSM document's parameter pattern admits, so no value (a
 * quote, {@code $()}, a backtick, a newline, any non-ASCII letter) can reach the instance's shell
 * as anything but data; the script decodes it into a file.
 */
public record ConfigPayload(String json) {

    public static ConfigPayload of(SettingsDocument settings, ApplicationCache cache) {
        JsonObject root = new JsonObject();
        JsonObject s = root.putObject("settings");
        settings.settings().forEach(s::put);
        if (cache == null) {
            root.putNull("applicationCache");
        } else {
            JsonObject c = root.putObject("applicationCache");
            c.put("engine", cache.engine());
            c.put("host", cache.host());
            c.put("port", cache.port());
            c.put("tls", cache.tls());
        }
        return new ConfigPayload(root.toString());
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Identifies this payload in the status record: applied once, applied again only when it changes. */
    public String fingerprint() {
        return fingerprint("");
    }

    /**
     * This payload together with the versions of the secrets the instance adds to it: a rotated
     * password is a new fingerprint. Without secrets, the same fingerprint as {@link #fingerprint()}.
     */
    public String fingerprint(String secretVersions) {
        String basis = secretVersions.isEmpty() ? json : json + "\nsecrets:" + secretVersions;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(basis.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
