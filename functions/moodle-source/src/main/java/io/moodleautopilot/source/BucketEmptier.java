package io.moodleautopilot.source;

import io.moodleautopilot.core.release.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * Removes every object version and delete marker of a versioned bucket, so that CloudFormation can
 * delete it (S3 refuses to delete a bucket that holds any version). Only a bucket tagged
 * {@value #TAG_KEY}={@value #TAG_VALUE} is touched: the tag is declared beside the custom resource
 * in template.yaml, so a deployment that removes the resource but keeps the bucket removes the tag
 * first (CloudFormation updates resources before it deletes the ones a template dropped), and a
 * rolled-back update that had added both takes the tag back before it deletes the resource.
 */
final class BucketEmptier {
    static final String TAG_KEY = "moodle-autopilot:empty-on-stack-delete";
    static final String TAG_VALUE = "true";
    /** Listing again after a pass catches versions written meanwhile; more passes mean a writer is still active. */
    static final int PASSES = 3;

    /**
     * What happened to one bucket.
     *
     * @param deleted   versions and delete markers removed
     * @param remaining versions and delete markers still there (at least; one listing page)
     * @param problem   why the bucket is not empty, or why it was left alone; empty when it is empty
     */
    record Result(String bucket, boolean touched, int deleted, int remaining, String problem) {
        boolean empty() {
            return remaining == 0;
        }
    }

    private final Supplier<S3Client> s3;

    BucketEmptier(Supplier<S3Client> s3) {
        this.s3 = s3;
    }

    Result empty(String bucket, Deadline deadline) {
        try {
            if (!tagged(bucket)) {
                return new Result(bucket, false, 0, 0, "not tagged " + TAG_KEY + "=" + TAG_VALUE + ": left as it is");
            }
        } catch (NoSuchBucketException e) {
            return new Result(bucket, false, 0, 0, "");
        }
        int deleted = 0;
        List<String> failures = new ArrayList<>();
        for (int pass = 0; pass < PASSES; pass++) {
            Pass p;
            try {
                p = deleteEveryVersion(bucket, deadline);
            } catch (NoSuchBucketException e) {
                return new Result(bucket, true, deleted, 0, "");
            }
            deleted += p.deleted();
            failures.addAll(p.failures());
            int remaining = remaining(bucket);
            if (remaining == 0) {
                return new Result(bucket, true, deleted, 0, "");
            }
            if (deadline.expired()) {
                return new Result(bucket, true, deleted, remaining, "out of time (the function's time less the "
                        + "answer's margin)" + cause(failures));
            }
            if (!p.failures().isEmpty()) {
                // The same versions would fail again: report instead of retrying.
                return new Result(bucket, true, deleted, remaining, "versions could not be deleted" + cause(failures));
            }
        }
        return new Result(bucket, true, deleted, remaining(bucket),
                "new versions kept arriving after " + PASSES + " passes: something still writes to the bucket");
    }

    private boolean tagged(String bucket) {
        try {
            for (Tag t : s3.get().getBucketTagging(r -> r.bucket(bucket)).tagSet()) {
                if (t.key().equals(TAG_KEY) && t.value().equals(TAG_VALUE)) {
                    return true;
                }
            }
            return false;
        } catch (NoSuchBucketException e) {
            throw e;
        } catch (S3Exception e) {
            if ("NoSuchTagSet".equals(code(e))) {
                return false;
            }
            if ("NoSuchBucket".equals(code(e))) {
                throw NoSuchBucketException.builder().message(e.getMessage()).build();
            }
            throw e;
        }
    }

    private record Pass(int deleted, List<String> failures) {
    }

    private Pass deleteEveryVersion(String bucket, Deadline deadline) {
        int deleted = 0;
        List<String> failures = new ArrayList<>();
        String keyMarker = null;
        String versionMarker = null;
        while (true) {
            String km = keyMarker;
            String vm = versionMarker;
            ListObjectVersionsResponse page = s3.get().listObjectVersions(r -> r.bucket(bucket)
                    .keyMarker(km).versionIdMarker(vm));
            List<String[]> targets = new ArrayList<>();
            page.versions().forEach(v -> targets.add(new String[] {v.key(), v.versionId()}));
            page.deleteMarkers().forEach(m -> targets.add(new String[] {m.key(), m.versionId()}));
            for (String[] t : targets) {
                if (deadline.expired()) {
                    return new Pass(deleted, failures);
                }
                try {
                    // Always with the version id: without it S3 only adds a delete marker.
                    s3.get().deleteObject(r -> r.bucket(bucket).key(t[0]).versionId(t[1]));
                    deleted++;
                } catch (NoSuchBucketException e) {
                    throw e;
                } catch (S3Exception e) {
                    failures.add(t[0] + " (version " + t[1] + "): " + code(e));
                }
            }
            if (!Boolean.TRUE.equals(page.isTruncated())) {
                return new Pass(deleted, failures);
            }
            keyMarker = page.nextKeyMarker();
            versionMarker = page.nextVersionIdMarker();
        }
    }

    private int remaining(String bucket) {
        try {
            ListObjectVersionsResponse page = s3.get().listObjectVersions(r -> r.bucket(bucket));
            return page.versions().size() + page.deleteMarkers().size();
        } catch (NoSuchBucketException e) {
            return 0;
        }
    }

    private static String cause(List<String> failures) {
        if (failures.isEmpty()) {
            return "";
        }
        return "; " + failures.size() + " failed, first: " + failures.get(0);
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                ? e.awsErrorDetails().errorCode() : "HTTP " + e.statusCode();
    }
}
