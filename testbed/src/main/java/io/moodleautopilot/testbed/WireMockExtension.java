package io.moodleautopilot.testbed;

import java.util.List;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * WireMock in front of moto, as the one AWS endpoint the functions see: register after
 * {@link MotoExtension}. Provides, per test, the {@link AwsGateway} (to inject throttling, 5xx
 * and slow answers) and the {@link CodePipelineStandIn} (to create pipelines and count executions).
 */
public final class WireMockExtension implements BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(WireMockExtension.class);

    private record Parts(AwsGateway gateway, CodePipelineStandIn codePipeline, AlarmActionsStandIn alarms)
            implements AutoCloseable {
        @Override
        public void close() {
            gateway.close();
            alarms.close();
        }
    }

    private static Parts parts(ExtensionContext context) {
        return context.getRoot().getStore(NS).getOrComputeIfAbsent("parts", k -> {
            String moto = MotoExtension.server(context).url();
            CodePipelineStandIn pipeline = new CodePipelineStandIn();
            AlarmActionsStandIn alarms = new AlarmActionsStandIn(moto);
            return new Parts(new AwsGateway(moto, List.of(pipeline, alarms, new AtomicWritesStandIn(moto),
                    new RunCommandStandIn())), pipeline, alarms);
        }, Parts.class);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Parts p = parts(context);
        p.codePipeline().reset();
        p.gateway().clear();
        AwsEndpoints.all(p.gateway().url());
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> type = p.getParameter().getType();
        return type == CodePipelineStandIn.class || type == AwsGateway.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == CodePipelineStandIn.class ? parts(e).codePipeline() : parts(e).gateway();
    }
}
