package io.moodleautopilot.function.log;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The functions' SLF4J binding (found by SLF4J through META-INF/services). The project's own loggers
 * log at {@code AWS_LAMBDA_LOG_LEVEL} (set by Lambda when the function's LoggingConfig names an
 * application log level), else {@code POWERTOOLS_LOG_LEVEL}, else INFO; every other logger (the AWS
 * SDK's, the JDBC drivers') at WARN, as the log4j2 configuration did before.
 */
public final class JsonLinesServiceProvider implements SLF4JServiceProvider {
    private static final String OWN_LOGGERS = "io.moodleautopilot";

    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new BasicMDCAdapter();
    private ILoggerFactory loggers;

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        Level own = level(System.getenv());
        Map<String, Logger> cache = new ConcurrentHashMap<>();
        loggers = name -> cache.computeIfAbsent(name,
                n -> new JsonLinesLogger(n, n.startsWith(OWN_LOGGERS) ? own : Level.WARN));
    }

    static Level level(Map<String, String> env) {
        String configured = env.getOrDefault("AWS_LAMBDA_LOG_LEVEL", env.get("POWERTOOLS_LOG_LEVEL"));
        if (configured == null || configured.isBlank()) {
            return Level.INFO;
        }
        String name = configured.strip().toUpperCase(Locale.ROOT);
        if (name.equals("FATAL")) {
            return Level.ERROR;
        }
        try {
            return Level.valueOf(name);
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }
}
