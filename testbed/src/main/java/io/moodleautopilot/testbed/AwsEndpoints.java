package io.moodleautopilot.testbed;

/**
 * Points the SDK at local endpoints through its own standard settings: the system-property forms
 * of {@code AWS_ENDPOINT_URL} and {@code AWS_ENDPOINT_URL_<SERVICE>}, read whenever a client is
 * built. Function code has no test-only path for this.
 */
public final class AwsEndpoints {
    private AwsEndpoints() {
    }

    public static void useFakeCredentials() {
        System.setProperty("aws.region", MotoServer.REGION);
        System.setProperty("aws.accessKeyId", "testing");
        System.setProperty("aws.secretAccessKey", "testing");
    }

    /** All services. */
    public static void all(String url) {
        useFakeCredentials();
        System.setProperty("aws.endpointUrl", url);
    }
}
