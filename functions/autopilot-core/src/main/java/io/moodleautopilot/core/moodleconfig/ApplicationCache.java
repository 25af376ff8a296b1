package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.Locale;

/**
 * The stack's application cache for Moodle's MUC: which store plugin, where, and whether TLS.
 *
 * @param engine {@code redis} (Redis, Valkey and ElastiCache Serverless speak it), or {@code memcached}
 *               for a stack that chose it before it was refused: Moodle removed its memcached cache
 *               store in 4.2, so such a cache is never configured ({@link #refusal()})
 */
public record ApplicationCache(String engine, String host, int port, boolean tls) {
    /** Why Moodle cannot use memcached for its application cache; memcached stays a session option. */
    public static final String MEMCACHED_REFUSAL = "the application cache is not configured: Moodle removed its"
            + " memcached cache store in 4.2 (cache/upgrade.txt), so ApplicationCacheEngine=memcached cannot work;"
            + " choose redis, valkey or serverless (memcached stays a session cache option)";

    public ApplicationCache {
        if (!engine.equals("redis") && !engine.equals("memcached")) {
            throw new ConfigurationException("application cache engine must be redis or memcached: " + engine);
        }
        if (host == null || host.isBlank()) {
            throw new ConfigurationException("the application cache has no endpoint");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigurationException("application cache port out of range: " + port);
        }
    }

    /** Present when Moodle cannot use this cache: the rest of the configuration is applied without it. */
    public java.util.Optional<String> refusal() {
        return engine.equals("memcached") ? java.util.Optional.of(MEMCACHED_REFUSAL) : java.util.Optional.empty();
    }

    /**
     * From the stack's parameters: none, memcached, redis, valkey or serverless (Valkey).
     *
     * @return null for none
     */
    public static ApplicationCache fromStack(String engine, String host, String port, String tls) {
        String e = engine == null ? "none" : engine.trim().toLowerCase(Locale.ROOT);
        if (e.isEmpty() || e.equals("none")) {
            return null;
        }
        String plugin = e.equals("memcached") ? "memcached" : switch (e) {
            case "redis", "valkey", "serverless" -> "redis";
            default -> throw new ConfigurationException("unknown application cache engine: " + engine);
        };
        int p;
        try {
            p = port == null || port.isBlank() ? (plugin.equals("memcached") ? 11211 : 6379) : Integer.parseInt(port.trim());
        } catch (NumberFormatException ex) {
            throw new ConfigurationException("application cache port is not a number: " + port);
        }
        // ElastiCache Serverless only speaks TLS.
        boolean useTls = e.equals("serverless") || Boolean.parseBoolean(tls == null ? "false" : tls.trim());
        return new ApplicationCache(plugin, host == null ? "" : host.trim(), p, useTls);
    }
}
