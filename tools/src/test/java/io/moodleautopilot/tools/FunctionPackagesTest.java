package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.CfnTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What each function's package holds (its target/lib, which sam build and the local runner deploy):
 * the AWS service clients it calls and no other, the JDBC drivers only where a database is read, and
 * none of the libraries the functions left for a cheaper cold start (docs/decisions.md, "Each
 * function ships what it calls").
 */
class FunctionPackagesTest {
    private static final Map<String, Set<String>> SERVICES = Map.of(
            "lifecycle-converger", Set.of("ssm", "autoscaling", "cloudwatch", "codepipeline", "eventbridge", "secretsmanager",
                    "sns"),
            "install-detector", Set.of("ssm", "rds", "secretsmanager", "eventbridge"),
            "alarm-reactor", Set.of("ssm", "autoscaling", "dynamodb", "sns"),
            "moodle-source", Set.of("s3", "secretsmanager", "ssm"));
    private static final List<String> LEFT_BEHIND = List.of("log4j", "jackson-databind", "powertools", "aws-embedded-metrics",
            "apache-client", "netty");

    @ParameterizedTest
    @ValueSource(strings = {"lifecycle-converger", "install-detector", "alarm-reactor", "moodle-source"})
    void aFunctionShipsTheClientsItCallsAndNothingItLeft(String function) {
        List<Path> jars = jars(function);

        assertThat(services(jars)).isEqualTo(SERVICES.get(function));
        assertThat(jars).extracting(j -> j.getFileName().toString())
                .noneMatch(name -> LEFT_BEHIND.stream().anyMatch(name::contains));
        boolean drivers = jars.stream().map(j -> j.getFileName().toString())
                .anyMatch(n -> n.startsWith("postgresql-") || n.startsWith("mariadb-java-client-"));
        assertThat(drivers).as("JDBC drivers").isEqualTo(function.equals("install-detector"));
    }

    /** The services whose client classes a jar holds (software/amazon/awssdk/services/NAME/...). */
    private static Set<String> services(List<Path> jars) {
        Set<String> out = new TreeSet<>();
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                file.stream().map(e -> e.getName())
                        .filter(n -> n.startsWith("software/amazon/awssdk/services/") && n.endsWith("Client.class"))
                        .map(n -> n.split("/")[4])
                        .forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static List<Path> jars(String function) {
        Path lib = CfnTemplate.repositoryRoot().resolve("functions").resolve(function).resolve("target/lib");
        assertThat(lib).as("the function's packaged dependencies (mvn package)").isDirectory();
        try (Stream<Path> s = Files.list(lib)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
