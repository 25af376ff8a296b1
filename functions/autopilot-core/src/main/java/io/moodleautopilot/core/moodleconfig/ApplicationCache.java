package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.Locale;

/**
 * The stack's application cache for Moodle's MUC: which store plugin, where, and whether TLS.
 *
 * @param engine {@code redis} (Redis, Valkey and ElastiCache Serverless speak it) or {@code memcached}
 */
public record ApplicationCache(String engine, String host, int port, boolean tls) {
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
        if (engine.equals("memcached") && tls) {
            // Moodle's memcached store has no TLS option: refused rather than configured in clear text.
            throw new ConfigurationException("Moodle's memcached cache store cannot use TLS; use redis or valkey "
                    + "for an encrypted application cache");
        }
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
