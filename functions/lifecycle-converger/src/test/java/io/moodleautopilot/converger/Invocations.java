package io.moodleautopilot.converger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.FunctionRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;

/** Runs the real handler, built with the environment template.yaml declares, and captures its stdout. */
final class Invocations {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Invocations() {
    }

    static LifecycleConvergerHandler handler(ConvergerStack stack) {
        return new LifecycleConvergerHandler(stack.functionEnvironment(), new AwsClients());
    }

    static LifecycleConvergerHandler handler(Map<String, String> env) {
        return new LifecycleConvergerHandler(env, new AwsClients());
    }

    static byte[] event(String file) {
        try {
            return Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events").resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A custom resource event from events/ with its pre-signed URL pointed at a local receiver. */
    static byte[] stackEvent(String file, String responseUrl) {
        try {
            ObjectNode n = (ObjectNode) MAPPER.readTree(event(file));
            n.put("ResponseURL", responseUrl);
            return MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FunctionRun.Outcome invoke(LifecycleConvergerHandler handler, byte[] event) {
        return invoke(handler, event, 60_000);
    }

    static FunctionRun.Outcome invoke(LifecycleConvergerHandler handler, byte[] event, long timeoutMillis) {
        return FunctionRun.invoke(handler, event, "moodle-lifecycle-converger", timeoutMillis);
    }
}
