package io.moodleautopilot.tools;

import io.moodleautopilot.testbed.CfnTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One function of one build, as its own template.yaml declares it: the code (target/classes and the
 * dependency jars in target/lib under CodeUri), the handler, memory, timeout and SnapStart. A build
 * is a checkout's root: the repository itself, or an earlier revision's worktree, whose template may
 * name another handler or other settings.
 */
record FunctionCode(String logicalId, Path classes, Path lib, String handler, int memoryMb, int timeoutSeconds,
                    boolean snapStart, Set<String> environmentNames) {

    static FunctionCode of(Path buildRoot, String logicalId) {
        CfnTemplate template = CfnTemplate.load(buildRoot.resolve("template.yaml"));
        Map<String, Object> fn = template.properties(logicalId);
        Map<?, ?> globals = (Map<?, ?>) template.section("Globals").getOrDefault("Function", Map.of());
        Path code = buildRoot.resolve(String.valueOf(fn.get("CodeUri")));
        Object memory = fn.getOrDefault("MemorySize", globals.get("MemorySize"));
        Object timeout = fn.getOrDefault("Timeout", globals.get("Timeout"));
        Set<String> names = new TreeSet<>();
        for (Object env : new Object[] {globals.get("Environment"), fn.get("Environment")}) {
            if (env instanceof Map<?, ?> e && e.get("Variables") instanceof Map<?, ?> vars) {
                vars.keySet().forEach(k -> names.add(String.valueOf(k)));
            }
        }
        return new FunctionCode(logicalId, code.resolve("target/classes"), code.resolve("target/lib"),
                String.valueOf(fn.get("Handler")), Integer.parseInt(String.valueOf(memory)),
                Integer.parseInt(String.valueOf(timeout)), fn.containsKey("SnapStart"), Set.copyOf(names));
    }

    /** The same code run as an on-demand function: the emulator gives it the session credentials. */
    FunctionCode onDemand() {
        return new FunctionCode(logicalId, classes, lib, handler, memoryMb, timeoutSeconds, false, environmentNames);
    }

    /** The handler's class name, without {@code ::method}. */
    String handlerClass() {
        int i = handler.indexOf("::");
        return i < 0 ? handler : handler.substring(0, i);
    }

    /** Fails clearly when the build did not produce what Lambda would be given. */
    FunctionCode requireBuilt() {
        if (!Files.isDirectory(classes) || !Files.isDirectory(lib) || jarCount() == 0) {
            throw new IllegalStateException(logicalId + ": " + classes + " or the jars in " + lib
                    + " are missing (the build must copy the runtime dependencies into target/lib)");
        }
        return this;
    }

    /** The direct path's classpath: the function's code and jars, then the invoker's classes alone. */
    String directClasspath(Path invokerClasses) {
        return classes + java.io.File.pathSeparator + lib.resolve("*") + java.io.File.pathSeparator + invokerClasses;
    }

    /** What the deployment package holds, in bytes: the compiled classes and the dependency jars. */
    long packageBytes() {
        return bytes(classes) + bytes(lib);
    }

    long jarCount() {
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.filter(p -> p.toString().endsWith(".jar")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long bytes(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
