package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.moodleautopilot.testbed.SlapdServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/directory-ca.sh on an instance (FakeInstance: the parameters from files) against a real
 * OpenLDAP whose certificate is signed by a CA of its own, as an organisation's directory often is:
 * libldap (ldapwhoami, the library PHP's auth_ldap uses) refuses the directory before the script and
 * binds with StartTLS after it, through the ldap.conf the script wrote.
 */
class DirectoryCaScriptTest {
    private static final String CA_PARAMETER = "/org/ldap/ca";
    private static SlapdServer ldap;

    @TempDir
    Path tmp;
    private FakeInstance instance;
    private Path conf;
    private Path caFile;

    @BeforeAll
    static void directory() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/slapd")) && Bundle.onPath("ldapwhoami"),
                "slapd and ldap-utils (scripts/test installs them)");
        ldap = SlapdServer.start();
    }

    @AfterAll
    static void stop() {
        if (ldap != null) {
            ldap.close();
        }
    }

    @BeforeEach
    void instance() {
        instance = new FakeInstance(tmp.resolve("instance"));
        conf = tmp.resolve("etc/openldap/ldap.conf");
        caFile = tmp.resolve("etc/openldap/certs/moodle-directory-ca.pem");
        instance.extraEnv.put("LDAP_CONF", conf.toString());
        instance.extraEnv.put("LDAP_CA_FILE", caFile.toString());
    }

    private void siteConfig(String caParameter) {
        var site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("ldap_ca_parameter", caParameter);
        instance.putSiteConfig(site);
    }

    private Bundle.Result run() {
        return instance.run(Bundle.files().resolve("scripts/directory-ca.sh"));
    }

    /** A StartTLS bind as the bind account, with libldap reading only this ldap.conf (if any). */
    private Bundle.Result bind(Path ldapConf) {
        // LDAPNOINIT: no system or user configuration; LDAPCONF then names the one file read.
        Map<String, String> env = ldapConf == null ? Map.of("LDAPNOINIT", "1", "HOME", tmp.toString())
                : Map.of("LDAPCONF", ldapConf.toString(), "HOME", tmp.toString());
        return Bundle.run(List.of("ldapwhoami", "-x", "-ZZ", "-H", ldap.ldapUrl(), "-D", ldap.bindDn(),
                "-w", ldap.bindPassword()), env, null, tmp);
    }

    @Test
    void theDirectorysCaBecomesLibldapsTrustAndTheBindSucceeds() throws Exception {
        Bundle.Result before = bind(null);
        assertThat(before.exit()).as("libldap without the directory's CA").isNotZero();

        siteConfig(CA_PARAMETER);
        instance.putParameter(CA_PARAMETER, Files.readString(ldap.caFile()));
        Bundle.write(conf, "# the distribution's file\nTLS_CACERT /etc/ssl/certs/other.pem\nTLS_REQCERT demand\n");

        Bundle.Result first = run();
        Bundle.Result second = run();

        assertThat(first.exit()).as(first.all()).isZero();
        assertThat(second.exit()).as(second.all()).isZero();
        assertThat(Files.readString(caFile).strip()).isEqualTo(Files.readString(ldap.caFile()).strip());
        String written = Files.readString(conf);
        assertThat(written.lines().filter(l -> l.startsWith("TLS_CACERT "))).containsExactly("TLS_CACERT " + caFile);
        assertThat(written).contains("# TLS_CACERT /etc/ssl/certs/other.pem").contains("TLS_REQCERT demand")
                .endsWith("TLS_CACERT " + caFile + "\n");
        assertThat(Files.readString(instance.log)).contains("directory CA: 1 certificate(s) from " + CA_PARAMETER);

        Bundle.Result after = bind(conf);
        assertThat(after.exit()).as(after.all()).isZero();
        assertThat(after.stdout()).contains("dn:" + ldap.bindDn());
    }

    @Test
    void withoutACaNamedNothingIsWritten() throws Exception {
        siteConfig("");

        Bundle.Result r = run();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(conf).doesNotExist();
        assertThat(caFile).doesNotExist();
        assertThat(Files.readString(instance.log)).contains("no directory CA named");
    }

    @Test
    void aParameterWithoutAValidCertificateIsRefusedAndNothingIsWritten() throws Exception {
        siteConfig(CA_PARAMETER);
        for (String value : List.of("not a certificate", "-----BEGIN CERTIFICATE-----\nTUlJQ\n-----END CERTIFICATE-----\n")) {
            instance.putParameter(CA_PARAMETER, value);

            Bundle.Result r = run();

            assertThat(r.exit()).as(r.all()).isEqualTo(2);
            assertThat(conf).doesNotExist();
            assertThat(caFile).doesNotExist();
        }
    }
}
