package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.SlapdServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sign-in through LDAP on a real site: a real OpenLDAP (SlapdServer: StartTLS required) holds the
 * users; the stack's moodle-config document, run on a real web tier (local_site.py run-document,
 * as the local stack's Run Command runs it), enables auth_ldap through Moodle's API with its
 * settings, and the bind password comes from Secrets Manager (moto) on the instance. Then a user
 * signs in over HTTP as a browser does, is created in Moodle on that first login with the
 * directory's name and e-mail, and a wrong password is refused. The bind password appears in no
 * output, log or page.
 */
@ExtendWith(MotoExtension.class)
class LdapSignInSiteTest {
    private static final String STACK = "ldapsite";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestSite site;
    private SlapdServer ldap;

    @AfterEach
    void down() throws Exception {
        if (site != null) {
            site.close();
        }
        if (ldap != null) {
            ldap.close();
        }
    }

    @Test
    void aDirectoryUserSignsInOverHttpAndIsCreatedOnFirstLogin(MotoServer moto) throws Exception {
        assumeTrue(TestSite.runnable() && Files.isExecutable(Path.of("/usr/sbin/slapd")),
                "no .venv-awscli, apache2 or slapd (scripts/test installs them)");
        ldap = SlapdServer.start();
        site = new TestSite(STACK, moto.url(), Map.of("LDAPTLS_CACERT", ldap.caFile().toString()));
        TestSite.Run up = site.run(null, "up", "--database-sessions", "--no-cache");
        assertThat(up.exit()).as(up.output()).isZero();

        String url = JSON.readTree(site.dir.resolve("state.json").toFile()).path("url").asText();
        site.secretInSiteConfig("ldap_bind_secret_arn", "LdapBind",
                JSON.createObjectNode().put("password", ldap.bindPassword()).toString());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("auth", "ldap");
        settings.put("auth_ldap/host_url", ldap.ldapUrl());
        settings.put("auth_ldap/start_tls", "1");
        settings.put("auth_ldap/ldap_version", "3");
        settings.put("auth_ldap/user_type", "rfc2307");
        settings.put("auth_ldap/bind_dn", ldap.bindDn());
        settings.put("auth_ldap/contexts", ldap.peopleDn());
        settings.put("auth_ldap/user_attribute", "uid");
        settings.put("auth_ldap/field_map_firstname", "givenName");
        settings.put("auth_ldap/field_map_lastname", "sn");
        settings.put("auth_ldap/field_map_email", "mail");

        TestSite.Run applied = site.runDocument(TestSite.moodleConfigJob(settings));

        assertThat(applied.exit()).as(applied.output()).isZero();
        assertThat(applied.output()).contains("\"name\":\"bind_pw\",\"plugin\":\"auth_ldap\"");

        // Alice signs in for the first time, as a browser does.
        Browser alice = new Browser(url);
        String dashboard = alice.login("alice", ldap.password("alice"));
        assertThat(alice.lastUri()).as(dashboard).endsWith("/my/");
        assertThat(dashboard).contains("page-my-index").doesNotContain("id=\"login\"");
        // Created on that first login, with the directory's name and e-mail (her own edit page shows both).
        String profile = alice.get("/user/edit.php");
        assertThat(profile).contains("Alice Example").contains("value=\"" + ldap.mail("alice") + "\"");

        // A wrong password: the login form again, with Moodle's error, and no dashboard.
        Browser intruder = new Browser(url);
        String refused = intruder.login("bob", ldap.password("alice"));
        assertThat(refused).contains("id=\"login\"").contains("Invalid login");
        assertThat(intruder.get("/my/")).contains("id=\"login\"");

        String everything = up.output() + applied.output() + dashboard + profile + refused
                + Files.readString(site.dir.resolve("log/autopilot.log"));
        assertThat(everything).doesNotContain(ldap.bindPassword());
    }
}
