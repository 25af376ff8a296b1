package io.moodleautopilot.core.mail;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Amazon SES SMTP password of an IAM user's secret access key, as the SES Developer Guide
 * documents it ("Obtaining Amazon SES SMTP credentials", the algorithm for converting a secret
 * access key): a SigV4-style key derivation with fixed date 11111111, the Region, service "ses",
 * terminal "aws4_request" and message "SendRawEmail", prefixed with the version byte 0x04 and
 * base64-encoded. The password is per Region: SES's SMTP endpoint of another Region refuses it.
 */
public final class SesSmtpPassword {
    private static final String DATE = "11111111";
    private static final String SERVICE = "ses";
    private static final String TERMINAL = "aws4_request";
    private static final String MESSAGE = "SendRawEmail";
    private static final byte VERSION = 0x04;
    private static final Pattern REGION = Pattern.compile("^[a-z]{2}(-[a-z]+)+-[0-9]+$");
    /** IAM secret access keys are 40 characters of base64's alphabet. */
    private static final Pattern SECRET_KEY = Pattern.compile("^[A-Za-z0-9/+]{40}$");

    private SesSmtpPassword() {
    }

    /**
     * @throws IllegalArgumentException for a Region or key of the wrong form; the message never
     *                                  quotes the key
     */
    public static String derive(String secretAccessKey, String region) {
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("'" + region + "' is not an AWS Region name");
        }
        if (secretAccessKey == null || !SECRET_KEY.matcher(secretAccessKey).matches()) {
            throw new IllegalArgumentException("the secret access key is not 40 characters of [A-Za-z0-9/+]");
        }
        byte[] signature = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), DATE);
        for (String part : new String[] {region, SERVICE, TERMINAL, MESSAGE}) {
            signature = hmac(signature, part);
        }
        byte[] versioned = new byte[signature.length + 1];
        versioned[0] = VERSION;
        System.arraycopy(signature, 0, versioned, 1, signature.length);
        return Base64.getEncoder().encodeToString(versioned);
    }

    /** SES's SMTP interface in this Region (STARTTLS on 587). */
    public static String endpoint(String region) {
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("'" + region + "' is not an AWS Region name");
        }
        return "email-smtp." + region + ".amazonaws.com";
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
