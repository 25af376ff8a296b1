package io.moodleautopilot.source.aws;

import io.moodleautopilot.core.release.DeclaredPlugins;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.core.release.ReleasePorts;
import io.moodleautopilot.core.release.StagingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Declared plugins kept in the stack's source bucket: GetObject on keys under plugins/ only (the
 * function's policy grants s3:GetObject on {@code <bucket>/plugins/*} and nothing else there).
 */
public final class S3PluginObjects implements ReleasePorts.PluginObjects {
    private final Supplier<S3Client> s3;
    private final String bucket;

    public S3PluginObjects(Supplier<S3Client> s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    @Override
    public ReleasePorts.Download download(String key, Path target, long maxBytes, Deadline deadline) {
        if (!key.startsWith(DeclaredPlugins.S3_PREFIX)) {
            // DeclaredPlugins refuses such a key; this keeps the port to what the policy allows anyway.
            throw new StagingException("plugin key " + key + " is not under " + DeclaredPlugins.S3_PREFIX);
        }
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long bytes = 0;
        try (InputStream in = new DigestInputStream(s3.get().getObject(r -> r.bucket(bucket).key(key)), sha);
             OutputStream out = Files.newOutputStream(target)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                bytes += n;
                if (bytes > maxBytes) {
                    throw new StagingException("s3://" + bucket + "/" + key + " is over " + maxBytes
                            + " bytes; nothing was staged");
                }
                out.write(buf, 0, n);
            }
        } catch (NoSuchKeyException e) {
            throw new StagingException("s3://" + bucket + "/" + key + " does not exist (upload the plugin's zip there"
                    + " first); nothing was staged", e);
        } catch (S3Exception e) {
            throw new StagingException("s3://" + bucket + "/" + key + " cannot be read: HTTP " + e.statusCode() + " "
                    + e.awsErrorDetails().errorCode() + "; nothing was staged", e);
        } catch (IOException e) {
            throw new StagingException("s3://" + bucket + "/" + key + ": " + e.getMessage() + "; nothing was staged", e);
        }
        return new ReleasePorts.Download(bytes, HexFormat.of().formatHex(sha.digest()));
    }
}
