package io.moodleautopilot.core.release;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Stages the pipeline's source object: the Moodle release as downloaded plus the deployment bundle,
 * in one ZIP under one versioned key. Staging again with the same release and bundle uploads
 * nothing; anything else downloads, verifies, packs and uploads a new version. The work files live
 * in a fresh directory under {@code workRoot} and are removed whatever happens.
 */
public final class MoodleSourceService {
    private final ReleasePorts.SourceStore store;
    private final ReleasePorts.Downloader downloader;
    private final ReleasePorts.Packager packager;
    private final Supplier<BundleFiles> bundle;
    private final Path workRoot;

    public MoodleSourceService(ReleasePorts.SourceStore store, ReleasePorts.Downloader downloader,
                               ReleasePorts.Packager packager, Supplier<BundleFiles> bundle, Path workRoot) {
        this.store = store;
        this.downloader = downloader;
        this.packager = packager;
        this.bundle = bundle;
        this.workRoot = workRoot;
    }

    /**
     * @throws StagingException when the release cannot be staged (nothing was uploaded)
     */
    public StageResult stage(ReleaseSpec spec, Deadline deadline, ReleasePorts.Progress progress) {
        BundleFiles files = bundle.get();
        String bundleDigest = files.digest();
        deadline.check("reading the staged object");
        Optional<StagedObject> existing = store.current();
        StagingDecision decision = StagingDecision.decide(existing, spec, bundleDigest);
        if (decision.current()) {
            StagedObject o = existing.orElseThrow();
            return new StageResult(false, o.versionId(), spec.url().toASCIIString(),
                    o.get(SourceMetadata.RELEASE_SHA256), -1, decision.reason());
        }
        Path work = createWorkDirectory();
        try {
            Path release = work.resolve(spec.archiveName());
            deadline.check("downloading the release");
            ReleasePorts.Download download = downloader.download(spec.url(), release, deadline, progress);
            if (spec.hasExpectedChecksum() && !spec.expectedSha256().equals(download.sha256())) {
                throw new StagingException("the release downloaded from " + spec.displayUrl()
                        + " has SHA-256 " + download.sha256() + ", expected " + spec.expectedSha256()
                        + " (ReleaseSha256); nothing was staged");
            }
            deadline.check("packing the source object");
            Path zip = work.resolve("source.zip");
            packager.pack(files, release, spec.archiveName(), zip);
            Files.delete(release); // the ZIP holds it now; halve the disk in use before the upload
            deadline.check("uploading the source object");
            String versionId = store.put(zip, SourceMetadata.of(spec, download.sha256(), bundleDigest));
            return new StageResult(true, versionId, spec.url().toASCIIString(), download.sha256(), download.bytes(),
                    decision.reason() + ": staged " + download.bytes() + " bytes from " + spec.displayUrl());
        } catch (IOException e) {
            throw new StagingException("work files under " + workRoot + ": " + e.getMessage(), e);
        } finally {
            deleteRecursively(work);
        }
    }

    /** Deletes every version of the source object; @return how many */
    public int remove() {
        return store.deleteAllVersions();
    }

    private Path createWorkDirectory() {
        try {
            Files.createDirectories(workRoot);
            return Files.createTempDirectory(workRoot, "moodle-source-");
        } catch (IOException e) {
            throw new StagingException("cannot create a work directory under " + workRoot + ": " + e.getMessage(), e);
        }
    }

    /** Best effort: a failure here must not hide the outcome of the staging itself. */
    static boolean deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }
}
