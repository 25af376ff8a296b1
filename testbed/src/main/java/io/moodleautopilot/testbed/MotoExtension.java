package io.moodleautopilot.testbed;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one moto_server for the whole test run (starting it costs seconds), points the SDK at it
 * and resets it before every test. Inject {@link MotoServer} into a test or lifecycle method.
 */
public final class MotoExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MotoExtension.class);

    static MotoServer server(ExtensionContext context) {
        return context.getRoot().getStore(NS)
                .getOrComputeIfAbsent("moto", k -> new ClosableMoto(MotoServer.start()), ClosableMoto.class).server;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        AwsEndpoints.all(server(context).url());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        MotoServer moto = server(context);
        AwsEndpoints.all(moto.url());
        moto.reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == MotoServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return server(e);
    }

    private record ClosableMoto(MotoServer server) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }
}
