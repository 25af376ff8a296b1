package io.moodleautopilot.source;

import io.moodleautopilot.core.release.BundleFiles;
import io.moodleautopilot.core.release.StagingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The deployment bundle as the moodle-bundle artifact puts it on the classpath: files under
 * {@code moodle-bundle/}, listed one path a line in {@code moodle-bundle/FILES}. The list is the
 * contract (a jar cannot be listed reliably from inside Lambda); a file it names that is missing,
 * or a missing list, is a build error reported as such.
 */
final class ClasspathBundle {
    /** Where the moodle-bundle artifact puts its files. */
    static final String ROOT = "moodle-bundle/";
    static final String LIST = "FILES";

    private ClasspathBundle() {
    }

    /** Read once per container, on first use; a failed read is tried again on the next request. */
    static Supplier<BundleFiles> memoized(String root) {
        return new Supplier<>() {
            private volatile BundleFiles value;

            @Override
            public BundleFiles get() {
                BundleFiles v = value;
                if (v == null) {
                    v = load(root);
                    value = v;
                }
                return v;
            }
        };
    }

    /** @throws StagingException when the list or a file on it is missing */
    static BundleFiles load(String root) {
        ClassLoader loader = ClasspathBundle.class.getClassLoader();
        byte[] list = read(loader, root + LIST);
        if (list == null) {
            throw new StagingException("the deployment bundle's file list " + root + LIST
                    + " is not on the function's classpath: build the function with the moodle-bundle artifact");
        }
        List<BundleFiles.BundleFile> files = new ArrayList<>();
        for (String line : new String(list, StandardCharsets.UTF_8).split("\\R")) {
            String path = line.strip();
            if (path.isEmpty()) {
                continue;
            }
            byte[] content = read(loader, root + path);
            if (content == null) {
                throw new StagingException("the deployment bundle lists " + path + " in " + root + LIST
                        + ", but " + root + path + " is not on the function's classpath");
            }
            files.add(new BundleFiles.BundleFile(path, content));
        }
        return new BundleFiles(files);
    }

    private static byte[] read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new StagingException("cannot read " + resource + " from the classpath: " + e.getMessage(), e);
        }
    }
}
