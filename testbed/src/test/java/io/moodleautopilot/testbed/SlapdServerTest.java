package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenLDAP stand-in for an organisation's directory, checked with the clients Moodle's auth_ldap
 * is built on: ldap-utils (libldap) and PHP's ldap extension, both verifying the server's
 * certificate against {@link SlapdServer#caFile()} (LDAPTLS_CACERT), as a site configured with the
 * directory's CA would.
 */
class SlapdServerTest {
    private static SlapdServer ldap;

    @BeforeAll
    static void start() {
        long t0 = System.nanoTime();
        ldap = SlapdServer.start();
        System.out.printf("slapd started in %d ms (%s, %s)%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                ldap.ldapUrl(), ldap.ldapsUrl());
    }

    @AfterAll
    static void stop() {
        if (ldap != null) {
            ldap.close();
        }
    }

    record Result(int exit, String output) {
    }

    private static String tool(String name) {
        for (String d : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin")) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        throw new AssertionError(name + " not found (Debian's ldap-utils / php-cli: scripts/lib.sh ensure_test_packages installs them)");
    }

    /** Runs a client with the test CA as its only trust anchor (and everything else from the arguments). */
    private static Result run(Map<String, String> env, String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, tool(cmd.get(0)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LDAP"));
        pb.environment().put("LDAPTLS_CACERT", ldap.caFile().toString());
        pb.environment().put("LDAPTLS_REQCERT", "demand");
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Result whoami(String url, boolean startTls, String dn, String password) {
        List<String> cmd = new ArrayList<>(List.of("ldapwhoami", "-x", "-H", url, "-D", dn, "-w", password));
        if (startTls) {
            cmd.add("-ZZ");
        }
        return run(Map.of(), cmd.toArray(String[]::new));
    }

    @Test
    void aStartTlsBindAsAliceSucceedsAndWhoAmISaysHerDn() {
        Result r = whoami(ldap.ldapUrl(), true, ldap.userDn("alice"), ldap.password("alice"));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo("dn:uid=alice,ou=people,dc=example,dc=edu");
        Result bob = whoami(ldap.ldapUrl(), true, ldap.userDn("bob"), ldap.password("bob"));
        assertThat(bob.exit()).as(bob.output()).isZero();
        assertThat(bob.output().strip()).isEqualTo("dn:uid=bob,ou=people,dc=example,dc=edu");
    }

    @Test
    void theSameBindWithoutTlsIsRefusedAsConfidentialityRequired() {
        Result r = whoami(ldap.ldapUrl(), false, ldap.userDn("alice"), ldap.password("alice"));
        assertThat(r.exit()).as(r.output()).isEqualTo(13);
        assertThat(r.output()).contains("Confidentiality required").doesNotContain("dn:uid=alice");
    }

    @Test
    void ldapsWorksFromTheFirstByte() {
        Result r = whoami(ldap.ldapsUrl(), false, ldap.userDn("alice"), ldap.password("alice"));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo("dn:uid=alice,ou=people,dc=example,dc=edu");
    }

    @Test
    void theCertificateIsOnlyTrustedThroughTheTestCa() {
        Map<String, String> publicCas = Map.of("LDAPTLS_CACERT", "/etc/ssl/certs/ca-certificates.crt");
        for (String url : List.of(ldap.ldapUrl(), ldap.ldapsUrl())) {
            List<String> cmd = new ArrayList<>(List.of("ldapwhoami", "-x", "-H", url, "-D", ldap.userDn("alice"),
                    "-w", ldap.password("alice")));
            if (url.startsWith("ldap:")) {
                cmd.add("-ZZ");
            }
            Result r = run(publicCas, cmd.toArray(String[]::new));
            assertThat(r.exit()).as("%s without the test CA: %s", url, r.output()).isNotZero();
            assertThat(r.output()).doesNotContain("dn:uid=alice");
        }
    }

    @Test
    void aWrongPasswordIsInvalidCredentials() {
        Result wrong = whoami(ldap.ldapUrl(), true, ldap.userDn("alice"), ldap.password("alice") + "x");
        assertThat(wrong.exit()).as(wrong.output()).isEqualTo(49);
        assertThat(wrong.output()).contains("Invalid credentials");
        Result others = whoami(ldap.ldapUrl(), true, ldap.userDn("alice"), ldap.password("bob"));
        assertThat(others.exit()).as(others.output()).isEqualTo(49);
        assertThat(ldap.password("alice")).isNotEqualTo(ldap.password("bob")).isNotEqualTo(ldap.bindPassword());
    }

    @Test
    void theBindAccountSearchesPeopleAndFindsAlicesMail() {
        Result r = run(Map.of(), "ldapsearch", "-x", "-ZZ", "-LLL", "-H", ldap.ldapUrl(), "-D", ldap.bindDn(),
                "-w", ldap.bindPassword(), "-b", ldap.peopleDn(), "(uid=alice)", "mail", "givenName", "sn");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("dn: uid=alice,ou=people,dc=example,dc=edu", "mail: alice@example.edu",
                "givenName: Alice", "sn: Example").doesNotContain("uid=bob");
        assertThat(ldap.mail("alice")).isEqualTo("alice@example.edu");
        Result people = run(Map.of(), "ldapsearch", "-x", "-ZZ", "-LLL", "-H", ldap.ldapUrl(), "-D", ldap.bindDn(),
                "-w", ldap.bindPassword(), "-b", ldap.peopleDn(), "(objectClass=inetOrgPerson)", "uid");
        assertThat(people.exit()).as(people.output()).isZero();
        assertThat(people.output().lines().filter(l -> l.startsWith("uid: ")).sorted().toList())
                .containsExactly("uid: alice", "uid: bob");
    }

    @Test
    void anonymousUsersCannotSearch() {
        Result r = run(Map.of(), "ldapsearch", "-x", "-ZZ", "-LLL", "-H", ldap.ldapUrl(), "-b", ldap.peopleDn(), "(uid=alice)", "mail");
        assertThat(r.output()).doesNotContain("alice@example.edu");
        assertThat(r.exit()).as(r.output()).isNotZero();
    }

    /** What auth_ldap does with ldap_start_tls on: connect, protocol 3, StartTLS, bind, as PHP's libldap sees it. */
    @Test
    void phpStartsTlsVerifyingTheCaAndBindsAsAlice() {
        String script = """
                $c = ldap_connect(getenv('T_URL'));
                ldap_set_option($c, LDAP_OPT_PROTOCOL_VERSION, 3);
                if (!@ldap_start_tls($c)) { echo 'start_tls: ', ldap_error($c), "\\n"; exit(2); }
                if (!@ldap_bind($c, getenv('T_DN'), getenv('T_PW'))) { echo 'bind: ', ldap_errno($c), ' ', ldap_error($c), "\\n"; exit(3); }
                echo 'whoami: ', ldap_exop_whoami($c), "\\n";
                """;
        Map<String, String> env = Map.of("T_URL", ldap.ldapUrl(), "T_DN", ldap.userDn("alice"), "T_PW", ldap.password("alice"));
        Result r = run(env, "php", "-r", script);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().strip()).isEqualTo("whoami: dn:uid=alice,ou=people,dc=example,dc=edu");

        Result wrong = run(Map.of("T_URL", ldap.ldapUrl(), "T_DN", ldap.userDn("alice"), "T_PW", "not-" + ldap.password("alice")),
                "php", "-r", script);
        assertThat(wrong.exit()).as(wrong.output()).isEqualTo(3);
        assertThat(wrong.output()).contains("bind: 49 Invalid credentials");

        Result untrusted = run(Map.of("T_URL", ldap.ldapUrl(), "T_DN", ldap.userDn("alice"), "T_PW", ldap.password("alice"),
                "LDAPTLS_CACERT", "/etc/ssl/certs/ca-certificates.crt"), "php", "-r", script);
        assertThat(untrusted.exit()).as(untrusted.output()).isEqualTo(2);
    }

    /** www-data (PHP under the web server) must reach the CA certificate; the keys stay private. */
    @Test
    void everyoneCanReadTheCaFileButNotTheKeys() throws IOException {
        Path ca = ldap.caFile();
        assertThat(Files.getPosixFilePermissions(ca)).contains(PosixFilePermission.OTHERS_READ);
        for (Path d = ca.getParent(); d != null; d = d.getParent()) {
            assertThat(Files.getPosixFilePermissions(d)).as("%s is traversable by everyone", d)
                    .contains(PosixFilePermission.OTHERS_EXECUTE);
        }
        assertThat(Files.readString(ca)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.getPosixFilePermissions(ca.resolveSibling("server.key")))
                .doesNotContain(PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_READ);
    }

    @Test
    void closeStopsSlapdAndDeletesItsDirectory() {
        long t0 = System.nanoTime();
        SlapdServer other = SlapdServer.start();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("second slapd started in %d ms%n", ms);
        Path dir = other.dir();
        int port = other.ldapPort();
        assertThat(port).isNotEqualTo(ldap.ldapPort());
        assertThat(other.password("alice")).isNotEqualTo(ldap.password("alice"));
        assertThat(dir).isDirectory();
        other.close();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            }
        }).isInstanceOf(IOException.class);
    }
}
