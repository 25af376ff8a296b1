package io.moodleautopilot.testbed;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real OpenLDAP server (Debian's slapd, installed by scripts/lib.sh ensure_test_packages; the
 * package's own service and directory are not used) standing in for an organisation's directory
 * that Moodle's auth_ldap signs users in against. It runs as a private process on two free loopback
 * ports with a slapd.conf of its own in a temporary directory: an mdb database for
 * {@value #BASE_DN} (schemas core, cosine, inetorgperson and nis) loaded with slapadd before it
 * starts, holding {@code ou=people}, the bind account {@code cn=moodle-bind} and the users alice and
 * bob (inetOrgPerson and posixAccount, passwords hashed by slappasswd as {SSHA}). Every password is
 * random per server.
 *
 * <p>TLS: a CA made here by the openssl CLI signs a server certificate for localhost and 127.0.0.1;
 * {@link #ldapUrl()} offers StartTLS and {@link #ldapsUrl()} is TLS from the first byte. {@code
 * security tls=1} makes every operation but StartTLS itself need TLS, so a simple bind in plain text
 * is refused (result 13, confidentiality required). Clients verify the server with {@link
 * #caFile()} (e.g. {@code LDAPTLS_CACERT}). The URLs name 127.0.0.1, not localhost: libldap checks
 * a certificate against the machine's own hostname when told "localhost".
 *
 * <p>Access: the bind account reads the whole tree, a user reads his own entry, anonymous users may
 * only authenticate (anonymous binds are refused). The temporary directory is under /tmp and world
 * traversable, the CA certificate world readable, so that PHP running as www-data can use it; the
 * keys are private. {@link #close()} stops slapd and deletes the directory.
 */
public final class SlapdServer implements AutoCloseable {
    public static final String BASE_DN = "dc=example,dc=edu";
    public static final String PEOPLE_DN = "ou=people," + BASE_DN;
    public static final String BIND_DN = "cn=moodle-bind," + BASE_DN;
    /** The users and their given names; surname Example, mail uid@example.edu. */
    public static final Map<String, String> USERS = orderedUsers();

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Process process;
    private final Path dir;
    private final int ldapPort;
    private final int ldapsPort;
    private final String bindPassword;
    private final Map<String, String> passwords;
    private final Thread stopAtExit;

    private SlapdServer(Process process, Path dir, int ldapPort, int ldapsPort, String bindPassword,
            Map<String, String> passwords) {
        this.process = process;
        this.dir = dir;
        this.ldapPort = ldapPort;
        this.ldapsPort = ldapsPort;
        this.bindPassword = bindPassword;
        this.passwords = passwords;
        // A test JVM that ends without close() must not leave slapd running or keys in /tmp.
        this.stopAtExit = new Thread(this::stop, "slapd-stop");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    private static Map<String, String> orderedUsers() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("alice", "Alice");
        m.put("bob", "Bob");
        return java.util.Collections.unmodifiableMap(m);
    }

    static String binary(String name) {
        for (String d : List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        throw new IllegalStateException(name + " not found: install Debian's slapd (scripts/lib.sh ensure_test_packages does)");
    }

    public static SlapdServer start() {
        Path dir = null;
        try {
            // Not a JUnit @TempDir (0700): www-data must reach the CA certificate.
            dir = Files.createTempDirectory(Path.of("/tmp"), "slapd-test-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path data = dir.resolve("data");
            Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            certificates(dir);

            String bindPassword = randomPassword();
            Map<String, String> passwords = new LinkedHashMap<>();
            for (String uid : USERS.keySet()) {
                passwords.put(uid, randomPassword());
            }
            Path conf = dir.resolve("slapd.conf");
            write(conf, config(dir, data));
            Path ldif = dir.resolve("entries.ldif");
            write(ldif, entries(dir, bindPassword, passwords));
            run(dir, binary("slapadd"), "-q", "-f", conf.toString(), "-l", ldif.toString());
            Files.delete(ldif);

            int ldapPort = MotoServer.freePort();
            int ldapsPort = MotoServer.freePort();
            while (ldapsPort == ldapPort) {
                ldapsPort = MotoServer.freePort();
            }
            Path log = dir.resolve("slapd.log");
            // -d keeps slapd in the foreground (no fork), its log (256: connections and operations) on stderr.
            Process p = new ProcessBuilder(binary("slapd"), "-d", "256", "-f", conf.toString(),
                    "-h", "ldap://127.0.0.1:" + ldapPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            SlapdServer server = new SlapdServer(p, dir, ldapPort, ldapsPort, bindPassword, Map.copyOf(passwords));
            try {
                server.awaitReady();
                return server;
            } catch (RuntimeException e) {
                String slapdLog = server.log();
                server.close();
                throw new IllegalStateException("could not start slapd: " + e.getMessage() + "\n" + slapdLog, e);
            }
        } catch (IOException | RuntimeException e) {
            if (dir != null) {
                deleteTree(dir);
            }
            throw e instanceof IllegalStateException ise ? ise : new IllegalStateException("could not start slapd: " + e.getMessage(), e);
        }
    }

    private static String config(Path dir, Path data) {
        return String.join("\n",
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "include /etc/ldap/schema/nis.schema",
                "pidfile " + dir.resolve("slapd.pid"),
                "argsfile " + dir.resolve("slapd.args"),
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "TLSCACertificateFile " + dir.resolve("ca.crt"),
                "TLSCertificateFile " + dir.resolve("server.crt"),
                "TLSCertificateKeyFile " + dir.resolve("server.key"),
                "TLSVerifyClient never",
                "# Every operation but StartTLS needs TLS: a simple bind in plain text gets 13, confidentiality required.",
                "security tls=1",
                "disallow bind_anon",
                "",
                "database mdb",
                "maxsize 67108864",
                "suffix \"" + BASE_DN + "\"",
                "directory " + data,
                "index objectClass eq",
                "index uid eq",
                "index mail eq",
                "access to attrs=userPassword",
                "  by anonymous auth",
                "  by * none",
                "access to *",
                "  by dn.exact=\"" + BIND_DN + "\" read",
                "  by self read",
                "  by * none",
                "");
    }

    private static String entries(Path dir, String bindPassword, Map<String, String> passwords) {
        StringBuilder b = new StringBuilder();
        b.append("dn: ").append(BASE_DN).append("\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n")
                .append("dc: example\no: Example University\n\n");
        b.append("dn: ").append(PEOPLE_DN).append("\nobjectClass: organizationalUnit\nou: people\n\n");
        b.append("dn: ").append(BIND_DN).append("\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n")
                .append("cn: moodle-bind\ndescription: Moodle's auth_ldap bind account\n")
                .append("userPassword: ").append(ssha(dir, bindPassword)).append("\n\n");
        int number = 10001;
        for (Map.Entry<String, String> user : USERS.entrySet()) {
            String uid = user.getKey();
            String given = user.getValue();
            b.append("dn: uid=").append(uid).append(',').append(PEOPLE_DN).append('\n')
                    .append("objectClass: inetOrgPerson\nobjectClass: posixAccount\n")
                    .append("uid: ").append(uid).append('\n')
                    .append("cn: ").append(given).append(" Example\n")
                    .append("givenName: ").append(given).append('\n')
                    .append("sn: Example\n")
                    .append("mail: ").append(uid).append("@example.edu\n")
                    .append("uidNumber: ").append(number).append('\n')
                    .append("gidNumber: ").append(number).append('\n')
                    .append("homeDirectory: /home/").append(uid).append('\n')
                    .append("userPassword: ").append(ssha(dir, passwords.get(uid))).append("\n\n");
            number++;
        }
        return b.toString();
    }

    /** slappasswd's {SSHA} hash; the password goes through a private file, not the command line. */
    private static String ssha(Path dir, String password) {
        Path secret = dir.resolve("secret");
        try {
            Files.writeString(secret, password, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            String hash = run(dir, binary("slappasswd"), "-h", "{SSHA}", "-T", secret.toString()).strip();
            if (!hash.startsWith("{SSHA}")) {
                throw new IllegalStateException("slappasswd: " + hash);
            }
            return hash;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            secret.toFile().delete();
        }
    }

    /** A CA, and a server certificate for localhost and 127.0.0.1 it signed (as TlsRedis and scripts/local_site.py). */
    private static void certificates(Path dir) throws IOException {
        write(dir.resolve("server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
                "-subj", "/CN=Moodle Autopilot test LDAP CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost");
        run(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.crt");
        Files.setPosixFilePermissions(dir.resolve("ca.key"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir.resolve("ca.crt"), PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static String run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command[0] + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int port : List.of(ldapPort, ldapsPort)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("slapd exited " + process.exitValue());
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    break;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("slapd did not listen on 127.0.0.1:" + port);
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }

    /** StartTLS URL: {@code ldap://127.0.0.1:port}. */
    public String ldapUrl() {
        return "ldap://127.0.0.1:" + ldapPort;
    }

    /** TLS from the first byte: {@code ldaps://127.0.0.1:port}. */
    public String ldapsUrl() {
        return "ldaps://127.0.0.1:" + ldapsPort;
    }

    public int ldapPort() {
        return ldapPort;
    }

    public int ldapsPort() {
        return ldapsPort;
    }

    /** The CA that signed the server's certificate (world readable), for LDAPTLS_CACERT or TLS_CACERT. */
    public Path caFile() {
        return dir.resolve("ca.crt");
    }

    /** The server's temporary directory (configuration, database, certificates, slapd.log). */
    public Path dir() {
        return dir;
    }

    /** slapd's log so far (connections and operations). */
    public String log() {
        return read(dir.resolve("slapd.log"));
    }

    public String baseDn() {
        return BASE_DN;
    }

    public String peopleDn() {
        return PEOPLE_DN;
    }

    public String bindDn() {
        return BIND_DN;
    }

    public String bindPassword() {
        return bindPassword;
    }

    /** The DN of a user: {@code uid=alice,ou=people,dc=example,dc=edu}. */
    public String userDn(String uid) {
        requireUser(uid);
        return "uid=" + uid + "," + PEOPLE_DN;
    }

    /** A user's password (random per server). */
    public String password(String uid) {
        requireUser(uid);
        return passwords.get(uid);
    }

    public String mail(String uid) {
        requireUser(uid);
        return uid + "@example.edu";
    }

    private static void requireUser(String uid) {
        if (!USERS.containsKey(uid)) {
            throw new IllegalArgumentException("no such user: " + uid + " (there are " + USERS.keySet() + ")");
        }
    }

    private synchronized void stop() {
        process.destroy(); // SIGTERM: slapd closes its database and exits
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway; stop() is idempotent
        }
    }
}
