package io.moodleautopilot.core.release;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Stages the pipeline's source object: the Moodle release as downloaded plus the deployment bundle,
 * the pinned sources the instances need from outside AWS and the declared plugins, in one ZIP under
 * one versioned key. Staging again with the same release, bundle, pins and plugins uploads nothing;
 * anything else downloads, verifies, checks the release against the site's database and platform,
 * packs and uploads a new version. The work files live
 * in a fresh directory under {@code workRoot} and are removed whatever happens.
 */
public final class MoodleSourceService {
    private final ReleasePorts.SourceStore store;
    private final ReleasePorts.Downloader downloader;
    private final ReleasePorts.Packager packager;
    private final Supplier<BundleFiles> bundle;
    private final Path workRoot;
    private final ReleasePorts.PluginObjects pluginObjects;
    private final ReleasePorts.UpgradeRecords upgradeRecords;

    /**
     * @param pluginObjects  declared plugins kept in the source bucket
     * @param upgradeRecords what the database has, as the instances last recorded it
     */
    public MoodleSourceService(ReleasePorts.SourceStore store, ReleasePorts.Downloader downloader,
                               ReleasePorts.Packager packager, Supplier<BundleFiles> bundle, Path workRoot,
                               ReleasePorts.PluginObjects pluginObjects, ReleasePorts.UpgradeRecords upgradeRecords) {
        this.store = store;
        this.downloader = downloader;
        this.packager = packager;
        this.bundle = bundle;
        this.workRoot = workRoot;
        this.pluginObjects = pluginObjects;
        this.upgradeRecords = upgradeRecords;
    }

    /**
     * Stages the release with the pinned sources and the declared plugins: each pinned source is
     * downloaded (size-capped) and must have its pinned SHA-256 before anything is packed; the staged
     * ones go under {@link PinnedSources#DIR}, and every one's SHA-256 goes into
     * {@link PinnedSources#MANIFEST} for the instances to check. Each plugin must have its declared
     * SHA-256 and a layout Moodle can install; it goes under {@link DeclaredPlugins#DIR}. Then the
     * release is held against the database's upgrade record and the platform
     * ({@link UpgradeCompatibility}): a refusal stages nothing.
     *
     * @throws StagingException when the release cannot be staged (nothing was uploaded)
     */
    public StageResult stage(ReleaseSpec spec, PinnedSources pinned, DeclaredPlugins plugins, Platform platform,
                             Deadline deadline, ReleasePorts.Progress progress) {
        BundleFiles files = bundle.get();
        String bundleDigest = files.digest();
        String pinnedDigest = pinned.digest();
        String pluginsDigest = plugins.digest();
        deadline.check("reading the staged object");
        Optional<StagedObject> existing = store.current();
        StagingDecision decision = StagingDecision.decide(existing, spec, bundleDigest, pinnedDigest, pluginsDigest);
        if (decision.current()) {
            // The object the pipeline already has: it was checked when it was staged, and nothing new deploys.
            StagedObject o = existing.orElseThrow();
            return new StageResult(false, o.versionId(), spec.url().toASCIIString(),
                    o.get(SourceMetadata.RELEASE_SHA256), -1, decision.reason(),
                    o.get(SourceMetadata.MOODLE_RELEASE), o.get(SourceMetadata.MOODLE_VERSION));
        }
        Path work = createWorkDirectory();
        try {
            // The small pinned sources first: a mismatch fails before the release's long download.
            List<PinnedSources.Fetched> fetched = fetchPinned(pinned, work, deadline, progress);
            Path release = work.resolve(spec.archiveName());
            deadline.check("downloading the release");
            ReleasePorts.Download download = downloader.download(spec.url(), release, deadline, progress);
            if (spec.hasExpectedChecksum() && !spec.expectedSha256().equals(download.sha256())) {
                throw new StagingException("the release downloaded from " + spec.displayUrl()
                        + " has SHA-256 " + download.sha256() + ", expected " + spec.expectedSha256()
                        + " (ReleaseSha256); nothing was staged");
            }
            deadline.check("reading the release's version.php");
            MoodleRelease moodle = MoodleRelease.read(release, spec.archiveName().equals(ReleaseSpec.ZIP_NAME),
                    spec.displayUrl());
            List<DeclaredPlugins.Staged> staged = fetchPlugins(plugins, moodle, work, deadline, progress);
            deadline.check("reading the upgrade record");
            DatabaseRecord db = DatabaseRecord.parse(upgradeRecords.read(), upgradeRecords.name());
            List<String> refusals = UpgradeCompatibility.refusals(moodle, db, platform, staged.stream()
                    .map(p -> new UpgradeCompatibility.PluginVersion(p.plugin().component(), p.version(), p.requires()))
                    .toList());
            if (!refusals.isEmpty()) {
                throw new StagingException("refused: " + String.join("; ", refusals) + "; nothing was staged");
            }
            deadline.check("packing the source object");
            List<ReleasePorts.ExtraFile> extra = new ArrayList<>();
            if (!fetched.isEmpty()) {
                for (PinnedSources.Fetched f : fetched) {
                    if (f.file() != null) {
                        extra.add(new ReleasePorts.ExtraFile(f.source().stagedPath(), f.file()));
                    }
                }
                Path manifest = work.resolve("manifest.json");
                Files.write(manifest, PinnedSources.manifest(fetched));
                extra.add(new ReleasePorts.ExtraFile(PinnedSources.MANIFEST, manifest));
            }
            if (!staged.isEmpty()) {
                for (DeclaredPlugins.Staged p : staged) {
                    extra.add(new ReleasePorts.ExtraFile(p.plugin().archive(), p.file()));
                }
                Path manifest = work.resolve("plugins-manifest.json");
                Files.write(manifest, DeclaredPlugins.manifest(staged));
                extra.add(new ReleasePorts.ExtraFile(DeclaredPlugins.MANIFEST, manifest));
            }
            Path zip = work.resolve("source.zip");
            packager.pack(files, release, spec.archiveName(), extra, zip);
            Files.delete(release); // the ZIP holds it now; halve the disk in use before the upload
            deadline.check("uploading the source object");
            String versionId = store.put(zip, SourceMetadata.of(spec, download.sha256(), bundleDigest, pinnedDigest,
                    pluginsDigest, moodle));
            return new StageResult(true, versionId, spec.url().toASCIIString(), download.sha256(), download.bytes(),
                    decision.reason() + ": staged " + download.bytes() + " bytes from " + spec.displayUrl()
                            + " (Moodle " + moodle.release() + ", " + moodle.version() + ")"
                            + (fetched.isEmpty() ? "" : "; pinned sources " + PinnedSources.summary(fetched))
                            + (staged.isEmpty() ? "" : "; plugins " + String.join(", ", staged.stream()
                            .map(p -> p.plugin().component() + " " + p.version() + " at " + p.path()).toList())),
                    moodle.release(), moodle.version());
        } catch (IOException e) {
            throw new StagingException("work files under " + workRoot + ": " + e.getMessage(), e);
        } finally {
            deleteRecursively(work);
        }
    }

    /** Each declared plugin: downloaded (size-capped), its SHA-256 checked, its layout and type checked. */
    private List<DeclaredPlugins.Staged> fetchPlugins(DeclaredPlugins plugins, MoodleRelease moodle, Path work,
                                                      Deadline deadline, ReleasePorts.Progress progress) {
        List<DeclaredPlugins.Staged> out = new ArrayList<>();
        for (DeclaredPlugins.DeclaredPlugin p : plugins.plugins()) {
            Path target = work.resolve("plugin-" + p.component() + ".zip");
            deadline.check("downloading plugin " + p.component());
            ReleasePorts.Download d = p.url() != null
                    ? downloader.download(p.url(), target, DeclaredPlugins.MAX_BYTES, deadline, progress)
                    : pluginObjects.download(p.s3Key(), target, DeclaredPlugins.MAX_BYTES, deadline);
            if (!p.sha256().equals(d.sha256())) {
                throw new StagingException("plugin " + p.component() + " from " + p.source() + " has SHA-256 "
                        + d.sha256() + ", expected " + p.sha256() + " (declared in MoodlePlugins); nothing was staged");
            }
            out.add(PluginArchive.inspect(p, target, moodle.pluginTypes(), moodle.release()));
        }
        return out;
    }

    private List<PinnedSources.Fetched> fetchPinned(PinnedSources pinned, Path work, Deadline deadline,
                                                    ReleasePorts.Progress progress) throws IOException {
        List<PinnedSources.Fetched> fetched = new ArrayList<>();
        int n = 0;
        for (PinnedSources.PinnedSource s : pinned.sources()) {
            Path target = work.resolve("pinned-" + (n++) + ".download");
            deadline.check("downloading " + s.fileName());
            ReleasePorts.Download d = downloader.download(s.url(), target, PinnedSources.MAX_BYTES, deadline, progress);
            if (s.hasExpectedChecksum() && !s.expectedSha256().equals(d.sha256())) {
                throw new StagingException(s.fileName() + " downloaded from " + s.displayUrl() + " has SHA-256 "
                        + d.sha256() + ", expected " + s.expectedSha256() + " (pinned in " + s.property()
                        + "); nothing was staged");
            }
            if (!s.staged()) {
                Files.delete(target); // only its checksum goes to the instances, which fetch it from AWS
            }
            fetched.add(new PinnedSources.Fetched(s, d.sha256(), d.bytes(), s.staged() ? target : null));
        }
        return fetched;
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
