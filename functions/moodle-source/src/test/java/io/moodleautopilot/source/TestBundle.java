package io.moodleautopilot.source;

import io.moodleautopilot.core.release.BundleFiles;
import java.util.function.Supplier;

/** The bundle the tests stage and compare against: the real moodle-bundle artifact, as the function reads it. */
final class TestBundle {
    private TestBundle() {
    }

    static Supplier<BundleFiles> supplier() {
        return ClasspathBundle.memoized(ClasspathBundle.ROOT);
    }

    static BundleFiles load() {
        return ClasspathBundle.load(ClasspathBundle.ROOT);
    }
}
