package io.moodleautopilot.source;

import io.moodleautopilot.core.release.BundleFiles;
import io.moodleautopilot.core.release.ReleasePorts;
import io.moodleautopilot.core.release.StagingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * Writes the source object: the bundle's files at the root (shell scripts with mode 0755, since
 * CodeDeploy runs its hooks as files and keeps the mode the archive gives them) and the release
 * archive as downloaded, stored rather than compressed again (it already is), then the pinned
 * sources and their manifest under vendor/. The instances unpack the release; nothing here looks
 * inside it.
 */
final class ZipSourcePackager implements ReleasePorts.Packager {
    /** Regular file (S_IFREG) with its permission bits, as Info-ZIP records them. */
    static final int EXECUTABLE = 0100755;
    static final int REGULAR = 0100644;

    @Override
    public void pack(BundleFiles bundle, Path release, String releaseName, List<ReleasePorts.ExtraFile> extra,
                     Path zip) {
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
            for (BundleFiles.BundleFile f : bundle.files()) {
                ZipArchiveEntry entry = new ZipArchiveEntry(f.path());
                entry.setUnixMode(f.executable() ? EXECUTABLE : REGULAR);
                entry.setMethod(ZipEntry.DEFLATED);
                entry.setSize(f.content().length);
                out.putArchiveEntry(entry);
                out.write(f.content());
                out.closeArchiveEntry();
            }
            ZipArchiveEntry entry = new ZipArchiveEntry(releaseName);
            entry.setUnixMode(REGULAR);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(Files.size(release));
            out.putArchiveEntry(entry);
            Files.copy(release, out);
            out.closeArchiveEntry();
            for (ReleasePorts.ExtraFile f : extra) {
                ZipArchiveEntry e = new ZipArchiveEntry(f.path());
                e.setUnixMode(REGULAR);
                e.setMethod(ZipEntry.DEFLATED);
                out.putArchiveEntry(e);
                Files.copy(f.file(), out);
                out.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new StagingException("could not write the source object " + zip + ": " + e.getMessage(), e);
        }
    }
}
