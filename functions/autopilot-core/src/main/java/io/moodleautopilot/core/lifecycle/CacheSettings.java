package io.moodleautopilot.core.lifecycle;

/**
 * Where the session cache is and how to reach it.
 *
 * @param transitEncryption true when the cache requires TLS (forced for serverless)
 */
public record CacheSettings(CacheEngine engine, String endpoint, int port, boolean transitEncryption) {
    public CacheSettings {
        if (engine != CacheEngine.NONE && (endpoint == null || endpoint.isBlank())) {
            throw new ConfigurationException("session cache engine " + engine + " needs an endpoint");
        }
        if (engine != CacheEngine.NONE && (port < 1 || port > 65535)) {
            throw new ConfigurationException("session cache port out of range: " + port);
        }
        if (engine == CacheEngine.SERVERLESS) {
            transitEncryption = true;
        }
    }

    public static CacheSettings none() {
        return new CacheSettings(CacheEngine.NONE, "", 0, false);
    }
}
