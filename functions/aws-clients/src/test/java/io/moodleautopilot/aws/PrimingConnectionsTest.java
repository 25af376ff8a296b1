package io.moodleautopilot.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Calls made while priming leave no connection open for the snapshot: each asks the server to close
 * it ({@code Connection: close}), so every priming call arrives on a connection of its own; the
 * calls after priming reuse one kept-alive connection, as before. A real HTTP server counts the
 * connections by their client ports.
 */
class PrimingConnectionsTest {
    private HttpServer server;
    private final List<Integer> clientPorts = new CopyOnWriteArrayList<>();
    private final List<String> connectionHeaders = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            clientPorts.add(exchange.getRemoteAddress().getPort());
            connectionHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("Connection")));
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{\"Parameters\":[],\"InvalidParameters\":[]}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        System.setProperty("aws.region", "us-east-1");
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
        System.setProperty("aws.endpointUrlSsm", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        System.clearProperty("aws.endpointUrlSsm");
        server.stop(0);
    }

    @Test
    void primingCallsCloseTheirConnectionsAndLaterCallsKeepThemAlive() {
        AwsClients clients = new AwsClients();
        Supplier<SsmClient> ssm = clients.client(SsmClient::builder);

        clients.priming(() -> {
            for (int i = 0; i < 3; i++) {
                ssm.get().getParameters(r -> r.names("a"));
            }
        });
        List<Integer> primingPorts = List.copyOf(clientPorts);
        List<String> primingHeaders = List.copyOf(connectionHeaders);
        clientPorts.clear();
        connectionHeaders.clear();
        for (int i = 0; i < 3; i++) {
            ssm.get().getParameters(r -> r.names("a"));
        }

        assertThat(primingHeaders).containsOnly("close");
        assertThat(primingPorts).doesNotHaveDuplicates().hasSize(3);
        assertThat(connectionHeaders).doesNotContain("close");
        assertThat(clientPorts.stream().distinct().count()).as("one kept-alive connection after priming").isEqualTo(1);
        assertThat(primingPorts).doesNotContain(clientPorts.get(0));
    }
}
