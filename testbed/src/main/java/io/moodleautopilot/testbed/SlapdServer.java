package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real OpenLDAP server (Debian's slapd, installed by scripts/lib.sh ensure_test_packages) standing
 * in for an organisation's directory that Moodle's auth_ldap signs users in against. The directory
 * is the local stack's own: scripts/local_directory.py sets it up and runs it (one implementation),
 * here in a temporary directory of the test's: a slapd.conf of its own, an mdb database for
 * {@value #BASE_DN} holding {@code ou=people}, the bind account {@code cn=moodle-bind} and the users
 * alice and bob (inetOrgPerson and posixAccount), every password random per server and kept in 0600
 * files, two free loopback ports.
 *
 * <p>TLS: a CA made by the script signs a server certificate for localhost and 127.0.0.1;
 * {@link #ldapUrl()} offers StartTLS and {@link #ldapsUrl()} is TLS from the first byte. {@code
 * security tls=1} makes every operation but StartTLS itself need TLS, so a simple bind in plain text
 * is refused (result 13, confidentiality required). Clients verify the server with {@link
 * #caFile()} (e.g. {@code LDAPTLS_CACERT}). The URLs name 127.0.0.1, not localhost: libldap checks
 * a certificate against the machine's own hostname when told "localhost".
 *
 * <p>Access: the bind account reads the whole tree, a user reads his own entry, anonymous users may
 * only authenticate (anonymous binds are refused). The temporary directory is under /tmp and world
 * traversable, the CA certificate world readable, so that PHP running as www-data can use it; the
 * keys and passwords are private. {@link #close()} stops slapd and deletes the directory.
 */
public final class SlapdServer implements AutoCloseable {
    public static final String BASE_DN = "dc=example,dc=edu";
    public static final String PEOPLE_DN = "ou=people," + BASE_DN;
    public static final String BIND_DN = "cn=moodle-bind," + BASE_DN;
    /** The users and their given names; surname Example, mail uid@example.edu (local_directory.py's USERS). */
    public static final Map<String, String> USERS = orderedUsers();

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode state;
    private final Thread stopAtExit;
    private boolean stopped;

    private SlapdServer(Path dir, JsonNode state) {
        this.dir = dir;
        this.state = state;
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

    private static Path script() {
        return CfnTemplate.repositoryRoot().resolve("scripts/local_directory.py");
    }

    public static SlapdServer start() {
        Path dir = null;
        try {
            // Not a JUnit @TempDir (0700): www-data must reach the CA certificate.
            dir = Files.createTempDirectory(Path.of("/tmp"), "slapd-test-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            directory(dir, "up");
            JsonNode state = JSON.readTree(dir.resolve("state.json").toFile());
            for (String uid : USERS.keySet()) {
                if (user(state, uid) == null) {
                    throw new IllegalStateException("local_directory.py made no user " + uid);
                }
            }
            return new SlapdServer(dir, state);
        } catch (IOException | RuntimeException e) {
            if (dir != null) {
                try {
                    directory(dir, "down");
                } catch (RuntimeException ignored) {
                    // what could be stopped is; the directory goes below
                }
                deleteTree(dir);
            }
            throw e instanceof IllegalStateException ise ? ise : new IllegalStateException("could not start slapd: " + e.getMessage(), e);
        }
    }

    /** local_directory.py up|down for dir; its messages (never a password) in the exception when it fails. */
    private static void directory(Path dir, String command) {
        try {
            Process p = new ProcessBuilder("python3", script().toString(), command, "--dir", dir.toString())
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("local_directory.py " + command + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("local_directory.py " + command + " exited " + p.exitValue() + ": " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode user(JsonNode state, String uid) {
        for (JsonNode u : state.path("users")) {
            if (uid.equals(u.path("uid").asText())) {
                return u;
            }
        }
        return null;
    }

    private static String readSecret(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        return state.path("url").asText();
    }

    /** TLS from the first byte: {@code ldaps://127.0.0.1:port}. */
    public String ldapsUrl() {
        return state.path("ldapsUrl").asText();
    }

    public int ldapPort() {
        return URI.create(ldapUrl()).getPort();
    }

    public int ldapsPort() {
        return URI.create(ldapsUrl()).getPort();
    }

    /** The CA that signed the server's certificate (world readable), for LDAPTLS_CACERT or TLS_CACERT. */
    public Path caFile() {
        return Path.of(state.path("caFile").asText());
    }

    /** The server's temporary directory (configuration, database, certificates, slapd.log). */
    public Path dir() {
        return dir;
    }

    /** slapd's log so far (connections and operations). */
    public String log() {
        return read(Path.of(state.path("log").asText()));
    }

    public String baseDn() {
        return state.path("baseDn").asText();
    }

    public String peopleDn() {
        return state.path("peopleDn").asText();
    }

    public String bindDn() {
        return state.path("bindDn").asText();
    }

    public String bindPassword() {
        return readSecret(state.path("bindPasswordFile").asText());
    }

    /** The DN of a user: {@code uid=alice,ou=people,dc=example,dc=edu}. */
    public String userDn(String uid) {
        return requireUser(uid).path("dn").asText();
    }

    /** A user's password (random per server). */
    public String password(String uid) {
        return readSecret(requireUser(uid).path("passwordFile").asText());
    }

    public String mail(String uid) {
        return requireUser(uid).path("mail").asText();
    }

    private JsonNode requireUser(String uid) {
        JsonNode u = user(state, uid);
        if (u == null) {
            throw new IllegalArgumentException("no such user: " + uid + " (there are " + USERS.keySet() + ")");
        }
        return u;
    }

    private synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            directory(dir, "down");
        } finally {
            deleteTree(dir);
        }
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
