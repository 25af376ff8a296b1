package io.moodleautopilot.core.release;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** MoodleSource's view of the outside world: the aws package implements the store with S3. */
public final class ReleasePorts {
    private ReleasePorts() {
    }

    /** The one source object (a versioned key) the pipeline reads. */
    public interface SourceStore {
        /** @return the current version and its metadata, or empty when there is none */
        Optional<StagedObject> current();

        /** Uploads the file as the new current version; @return its version id */
        String put(Path file, Map<String, String> metadata);

        /** Deletes every version (and delete marker) of the key; @return how many were deleted */
        int deleteAllVersions();
    }

    /** Declared plugins kept in the stack's source bucket, under {@link DeclaredPlugins#S3_PREFIX} only. */
    public interface PluginObjects {
        /**
         * Copies the object's current version into {@code target}, computing its SHA-256 on the way.
         *
         * @throws StagingException when it is missing, unreadable or over {@code maxBytes}
         */
        Download download(String key, Path target, long maxBytes, Deadline deadline);
    }

    /** The upgrade record the web instances write ({@code /Moodle/<stack>/Automation/Upgrade}). */
    public interface UpgradeRecords {
        /** @return the record's JSON, or empty when the parameter does not exist yet */
        Optional<String> read();

        /** The parameter's name, for messages. */
        String name();
    }

    /** What a finished download produced. */
    public record Download(long bytes, String sha256) {
    }

    public interface Downloader {
        /**
         * Streams the release into {@code target}, computing its SHA-256 on the way.
         *
         * @throws StagingException on any failure (HTTP status, size cap, time, network)
         */
        Download download(URI url, Path target, Deadline deadline, Progress progress);

        /** The same, with a size cap of its own for this download (a pinned source is far smaller than a release). */
        Download download(URI url, Path target, long maxBytes, Deadline deadline, Progress progress);
    }

    /** A file that goes into the source object as it is, under {@code path}. */
    public record ExtraFile(String path, Path file) {
    }

    /**
     * Builds the source object: the bundle's files at the root, the release archive as it came and
     * the pinned sources (with their manifest) under {@link PinnedSources#DIR}.
     */
    public interface Packager {
        void pack(BundleFiles bundle, Path release, String releaseName, java.util.List<ExtraFile> extra, Path zip);

        default void pack(BundleFiles bundle, Path release, String releaseName, Path zip) {
            pack(bundle, release, releaseName, java.util.List.of(), zip);
        }
    }

    /** Progress of a long download, for the log. */
    public interface Progress {
        /** @param totalBytes -1 when the server did not say */
        void downloaded(long bytes, long totalBytes);
    }
}
