package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LDAP sign-in's parameters in template.yaml: the Rules refuse a directory without its network or
 * contexts and a bind DN without its secret; the web tier's egress to the directory is that network
 * on the port its security implies; and the instances learn the bind secret from the site
 * configuration, never its value.
 */
class LdapParametersTest {
    private final CfnTemplate template = CfnTemplate.load();

    private CfnTemplate.Resolver resolver(Map<String, String> parameters) {
        return new CfnTemplate.Resolver(template, "moodle", parameters, Map.of("WebSecurityGroup.GroupId", "sg-0123"));
    }

    private static Map<String, String> ldap(String... more) {
        Map<String, String> p = new HashMap<>(Map.of("LdapHost", "ldap.example.edu", "LdapCidr", "10.20.0.10/32",
                "LdapContexts", "ou=people,dc=example,dc=edu"));
        for (int i = 0; i < more.length; i += 2) {
            p.put(more[i], more[i + 1]);
        }
        return p;
    }

    @Test
    void theRulesRefuseADirectoryWithoutItsNetworkOrContextsAndABindDnWithoutItsSecret() {
        assertThat(template.refusedRules(resolver(Map.of()))).isEmpty();
        assertThat(template.refusedRules(resolver(ldap()))).isEmpty();
        assertThat(template.refusedRules(resolver(ldap("LdapCidr", "")))).containsExactly("LdapNeedsItsNetwork");
        assertThat(template.refusedRules(resolver(ldap("LdapContexts", "")))).containsExactly("LdapNeedsItsNetwork");
        assertThat(template.refusedRules(resolver(ldap("LdapBindDn", "cn=moodle,dc=example,dc=edu"))))
                .containsExactly("LdapBindNeedsSecret");
        assertThat(template.refusedRules(resolver(ldap("LdapBindDn", "cn=moodle,dc=example,dc=edu",
                "LdapBindSecretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:bind-AbCdEf")))).isEmpty();
    }

    @Test
    void theEgressIsTheDirectorysNetworkOnThePortItsSecurityImplies() {
        Map<String, Object> egress = template.properties("WebToLdapEgress");
        assertThat(template.resource("WebToLdapEgress").get("Condition")).isEqualTo("HasLdap");
        for (List<String> c : List.of(List.of("ldaps", "", "636"), List.of("starttls", "", "389"),
                List.of("plaintext", "", "389"), List.of("ldaps", "3269", "3269"))) {
            CfnTemplate.Resolver r = resolver(ldap("LdapSecurity", c.get(0), "LdapPort", c.get(1)));
            assertThat(r.string(egress.get("FromPort"))).as(c.toString()).isEqualTo(c.get(2));
            assertThat(r.string(egress.get("ToPort"))).as(c.toString()).isEqualTo(c.get(2));
            assertThat(r.string(egress.get("CidrIp"))).isEqualTo("10.20.0.10/32");
            assertThat(egress.get("IpProtocol")).isEqualTo("tcp");
        }
    }

    @Test
    void theSiteConfigurationNamesTheBindSecretAndTheSmtpSecretButHoldsNeither() {
        String value = String.valueOf(template.properties("SiteConfigParameter").get("Value"));
        assertThat(value).contains("\"ldap_bind_secret_arn\": \"${LdapBindSecretArn}\"")
                .contains("\"smtp_secret_arn\": \"${SmtpSecretArn}\"").doesNotContain("SecretString");
    }
}
