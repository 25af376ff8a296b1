package io.moodleautopilot.testbed;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real PostgreSQL server (binaries from Maven Central) for the tests that read Moodle's tables,
 * started once per test run. Inject {@link EmbeddedPostgres} to get its JDBC URL or a DataSource.
 */
public final class EmbeddedPostgresExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(EmbeddedPostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == EmbeddedPostgres.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return e.getRoot().getStore(NS)
                .getOrComputeIfAbsent("pg", k -> new ClosablePostgres(start()), ClosablePostgres.class).pg;
    }

    private static EmbeddedPostgres start() {
        try {
            return EmbeddedPostgres.builder().start();
        } catch (IOException e) {
            throw new IllegalStateException("embedded PostgreSQL did not start: " + e.getMessage(), e);
        }
    }

    private record ClosablePostgres(EmbeddedPostgres pg) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            pg.close();
        }
    }
}
