package io.moodleautopilot.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The SES SMTP password against the algorithm the SES Developer Guide documents, computed a second
 * way: OpenSSL's command-line HMAC (another implementation of HMAC-SHA256 than the JVM's), step by
 * step with the documented constants. SES publishes no test vector; a mismatch in any constant,
 * the order of the steps or the version byte makes the two differ.
 */
class SesSmtpPasswordTest {

    /** HMAC-SHA256 of {@code data} under the hex key, by `openssl dgst`. */
    private static String opensslHmac(String hexKey, String data) throws Exception {
        Process p = new ProcessBuilder("openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + hexKey)
                .redirectErrorStream(true).start();
        p.getOutputStream().write(data.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out.substring(out.lastIndexOf(' ') + 1);
    }

    private static String documented(String secretKey, String region) throws Exception {
        String key = HexFormat.of().formatHex(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8));
        for (String step : List.of("11111111", region, "ses", "aws4_request", "SendRawEmail")) {
            key = opensslHmac(key, step);
        }
        byte[] signature = HexFormat.of().parseHex(key);
        byte[] out = new byte[33];
        out[0] = 0x04;
        System.arraycopy(signature, 0, out, 1, 32);
        return Base64.getEncoder().encodeToString(out);
    }

    @ParameterizedTest
    @CsvSource({
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, us-east-1",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, eu-west-1",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY, ap-southeast-2",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, us-gov-west-1"})
    void theDerivationIsTheDocumentedOne(String key, String region) throws Exception {
        String password = SesSmtpPassword.derive(key, region);

        assertThat(password).isEqualTo(documented(key, region));
        assertThat(Base64.getDecoder().decode(password)).hasSize(33).startsWith((byte) 0x04);
        assertThat(password).hasSize(44).doesNotContain(key);
    }

    @Test
    void thePasswordIsPerRegionAndPerKey() {
        String key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assertThat(SesSmtpPassword.derive(key, "us-east-1")).isNotEqualTo(SesSmtpPassword.derive(key, "us-east-2"));
        assertThat(SesSmtpPassword.derive(key, "us-east-1"))
                .isNotEqualTo(SesSmtpPassword.derive("xJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"));
        assertThat(SesSmtpPassword.endpoint("eu-central-1")).isEqualTo("email-smtp.eu-central-1.amazonaws.com");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "short", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE\\"})
    void aKeyOfTheWrongFormIsRefusedWithoutBeingQuoted(String key) {
        assertThatThrownBy(() -> SesSmtpPassword.derive(key, "us-east-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the secret access key is not 40 characters of [A-Za-z0-9/+]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "US-EAST-1", "us-east", "email-smtp.us-east-1.amazonaws.com", "us-east-1\n"})
    void aRegionOfTheWrongFormIsRefused(String region) {
        assertThatThrownBy(() -> SesSmtpPassword.derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not an AWS Region name");
    }
}
