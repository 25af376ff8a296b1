package io.moodleautopilot.source.aws;

import io.moodleautopilot.core.release.ReleasePorts;
import io.moodleautopilot.core.release.StagedObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The pipeline's source object: one key in the stack's versioned bucket. Only that key is touched
 * (the listing is by prefix, and only exact matches are deleted), so the IAM policy can name it.
 */
public final class S3SourceStore implements ReleasePorts.SourceStore {
    private final Supplier<S3Client> s3;
    private final String bucket;
    private final String key;

    public S3SourceStore(Supplier<S3Client> s3, String bucket, String key) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
    }

    @Override
    public Optional<StagedObject> current() {
        try {
            HeadObjectResponse head = s3.get().headObject(r -> r.bucket(bucket).key(key));
            return Optional.of(new StagedObject(head.versionId() == null ? "" : head.versionId(), head.metadata()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty(); // HEAD has no body: a missing key (or a delete marker) is a bare 404
            }
            throw e;
        }
    }

    @Override
    public String put(Path file, Map<String, String> metadata) {
        String versionId = s3.get().putObject(r -> r.bucket(bucket).key(key).metadata(metadata)
                        .contentType("application/zip"),
                RequestBody.fromFile(file)).versionId();
        return versionId == null ? "" : versionId;
    }

    @Override
    public int deleteAllVersions() {
        int deleted = 0;
        String keyMarker = null;
        String versionMarker = null;
        try {
            while (true) {
                String km = keyMarker;
                String vm = versionMarker;
                ListObjectVersionsResponse page = s3.get().listObjectVersions(r -> r.bucket(bucket).prefix(key)
                        .keyMarker(km).versionIdMarker(vm));
                for (var v : page.versions()) {
                    if (v.key().equals(key)) {
                        deleteVersion(v.versionId());
                        deleted++;
                    }
                }
                for (var m : page.deleteMarkers()) {
                    if (m.key().equals(key)) {
                        deleteVersion(m.versionId());
                        deleted++;
                    }
                }
                if (!Boolean.TRUE.equals(page.isTruncated())) {
                    return deleted;
                }
                keyMarker = page.nextKeyMarker();
                versionMarker = page.nextVersionIdMarker();
            }
        } catch (NoSuchBucketException e) {
            return deleted; // the bucket is gone, and with it every version
        }
    }

    private void deleteVersion(String versionId) {
        // Always with a version id: a plain delete would only add a delete marker on a versioned bucket.
        s3.get().deleteObject(r -> r.bucket(bucket).key(key).versionId(versionId));
    }
}
