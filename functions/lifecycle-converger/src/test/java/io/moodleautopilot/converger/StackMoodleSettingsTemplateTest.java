package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.moodleconfig.SettingsDocument;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.ConvergerStack;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Moodle settings template.yaml derives from the mail and LDAP parameters
 * (StackMoodleSettingsParameter): for every combination they are one JSON object that the settings
 * rules accept, with exactly the settings its parameters call for, and the converger and its
 * convergence resource both follow that parameter's value.
 */
class StackMoodleSettingsTemplateTest {
    private static final CfnTemplate TEMPLATE = CfnTemplate.load();

    private static Map<String, String> settings(Map<String, String> parameters) {
        Map<String, String> values = new HashMap<>(parameters);
        values.put("MailSmtpCredentials.Username", "AKIAEXAMPLEKEY000001");
        CfnTemplate.Resolver resolver = new CfnTemplate.Resolver(TEMPLATE, "moodle", values, Map.of());
        String json = resolver.string(TEMPLATE.properties("StackMoodleSettingsParameter").get("Value"));
        return SettingsDocument.parse(json).settings();
    }

    @Test
    void withoutMailOrLdapTheStackSetsNothing() {
        assertThat(settings(Map.of())).isEmpty();
    }

    @Test
    void mailSetsSesSmtpWithTlsAndTheSmtpUserButNeverItsPassword() {
        assertThat(settings(Map.of("MailDomain", "example.edu"))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "smtphosts", "email-smtp.us-east-1.amazonaws.com:587", "smtpsecure", "tls", "smtpauthtype", "LOGIN",
                "smtpuser", "AKIAEXAMPLEKEY000001", "noreplyaddress", "noreply@example.edu"));
    }

    @Test
    void ldapsByDefaultOnItsStandardPort() {
        Map<String, String> s = settings(Map.of("LdapHost", "ldap.example.edu", "LdapContexts", "ou=people,dc=example,dc=edu",
                "LdapCidr", "10.0.0.10/32"));
        assertThat(s).containsEntry("auth", "ldap").containsEntry("auth_ldap/host_url", "ldaps://ldap.example.edu")
                .containsEntry("auth_ldap/start_tls", "0").containsEntry("auth_ldap/user_type", "rfc2307")
                .containsEntry("auth_ldap/user_attribute", "uid").containsEntry("auth_ldap/bind_dn", "")
                .containsEntry("auth_ldap/contexts", "ou=people,dc=example,dc=edu")
                .containsEntry("auth_ldap/field_map_email", "mail")
                .doesNotContainKeys("auth_ldap/bind_pw", "smtphosts");
    }

    @Test
    void startTlsOnAnotherPortWithMailAndActiveDirectory() {
        Map<String, String> s = settings(Map.of("MailDomain", "example.edu", "LdapHost", "dc1.corp.example.edu",
                "LdapPort", "3268", "LdapSecurity", "starttls", "LdapUserType", "ad", "LdapUserAttribute", "sAMAccountName",
                "LdapBindDn", "CN=moodle,OU=Services,DC=corp,DC=example,DC=edu", "LdapContexts", "OU=Staff,DC=corp;OU=Students,DC=corp"));
        assertThat(s).containsEntry("auth_ldap/host_url", "ldap://dc1.corp.example.edu:3268")
                .containsEntry("auth_ldap/start_tls", "1").containsEntry("auth_ldap/user_type", "ad")
                .containsEntry("auth_ldap/user_attribute", "sAMAccountName")
                .containsEntry("auth_ldap/contexts", "OU=Staff,DC=corp;OU=Students,DC=corp")
                .containsEntry("smtpuser", "AKIAEXAMPLEKEY000001");
    }

    @Test
    void theConvergerAndItsConvergenceResourceFollowTheParameter() {
        Map<String, Object> value = Map.of("Fn::GetAtt", java.util.List.of("StackMoodleSettingsParameter", "Value"));
        @SuppressWarnings("unchecked")
        Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.properties("LifecycleConvergerFunction")
                .get("Environment")).get("Variables");
        assertThat(env.get("STACK_MOODLE_SETTINGS")).isEqualTo(value);
        assertThat(TEMPLATE.properties("LifecycleConvergence").get("StackMoodleSettings")).isEqualTo(value);
    }

    @Test
    void freeTextLdapParametersCannotBreakOutOfTheirJsonString() {
        for (String name : java.util.List.of("LdapBindDn", "LdapContexts")) {
            @SuppressWarnings("unchecked")
            String pattern = String.valueOf(((Map<String, Object>) TEMPLATE.section("Parameters").get(name)).get("AllowedPattern"));
            assertThat("ou=a\", \"smtphosts\": \"evil").as(name).doesNotMatch(pattern);
            assertThat("cn=Doe\\, John").as(name).doesNotMatch(pattern);
            assertThat("ou=people,dc=example,dc=edu;ou=staff").as(name).matches(pattern);
        }
    }

    /**
     * Lambda caps a function's environment at 4 KB (keys and values together); the stack's settings
     * travel in the converger's. With every option on and the longest values the parameters admit,
     * it still fits.
     */
    @Test
    void theConvergersEnvironmentFitsLambdasFourKilobytesWithEveryOptionAtItsLongest() {
        Map<String, String> p = new HashMap<>(Map.of("MailDomain", "a".repeat(50) + ".example.edu",
                "LdapHost", "directory-server-01." + "b".repeat(40) + ".example.edu", "LdapPort", "3269",
                "LdapSecurity", "starttls", "LdapCidr", "10.200.100.100/32", "LdapBindDn", "c".repeat(512),
                "LdapContexts", "d".repeat(1024), "LdapBindSecretArn",
                "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:" + "e".repeat(200) + "-AbCdEf"));
        p.put("LdapUserAttribute", "sAMAccountName");
        p.put("LdapCaParameter", "/org/ldap/ca");
        p.put("MailSmtpCredentials.Username", "AKIAEXAMPLEKEY000001");
        p.put("MailSmtpSecret", "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:MailSmtpSecret-"
                + "f".repeat(40) + "-AbCdEf");
        // The longest stack name the template admits (28 characters).
        Map<String, String> env = new ConvergerStack("moodle-with-a-28-char-name-x", p).functionEnvironment();
        int size = env.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
        assertThat(size).as("bytes of the converger's environment").isLessThan(4096);
        assertThat(env.get("STACK_MOODLE_SETTINGS")).contains("d".repeat(1024));
    }
}
