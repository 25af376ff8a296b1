package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The login config.php carries is a stack-owned secret, never Aurora's managed master secret (which
 * RDS rotates every 7 days by default): the template generates it, publishes its ARN beside the
 * master's in the site configuration, and lets the web instances read just these secrets of their
 * own stack.
 */
class DatabaseLoginTemplateTest {
    static final String STACK = "moodle";
    static final String APP_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:/Moodle/moodle/DatabaseAppUser-AbCdEf";
    static final String MASTER_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0123-AbCdEf";
    static final String ADMIN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:/Moodle/moodle/AdminPassword-AbCdEf";
    private static final Pattern SUB_NAME = Pattern.compile("\\$\\{([^}!][^}]*)}");

    private final CfnTemplate template = CfnTemplate.load();
    private final ObjectMapper json = new ObjectMapper();

    /** A resolver that knows the three secrets' ARNs and a placeholder for every other name the node uses. */
    private CfnTemplate.Resolver resolver(Object node, Map<String, String> parameters) {
        Map<String, String> names = new LinkedHashMap<>();
        collectNames(node, names);
        template.section("Parameters").keySet().forEach(names::remove);
        names.keySet().removeIf(n -> n.startsWith("AWS::"));
        names.put("DatabaseAppSecret", APP_ARN);
        names.put("DatabaseCluster.MasterUserSecret.SecretArn", MASTER_ARN);
        names.put("AdminSecret", ADMIN_ARN);
        return new CfnTemplate.Resolver(template, STACK, parameters, names);
    }

    private static void collectNames(Object node, Map<String, String> names) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.containsKey("Ref")) {
                names.put(String.valueOf(m.get("Ref")), "placeholder-" + m.get("Ref"));
            } else if (m.size() == 1 && m.containsKey("Fn::GetAtt") && m.get("Fn::GetAtt") instanceof List<?> l) {
                String n = l.get(0) + "." + l.get(1);
                names.put(n, "placeholder-" + n);
            } else if (m.size() == 1 && m.containsKey("Fn::Sub")) {
                Object arg = m.get("Fn::Sub");
                String text = String.valueOf(arg instanceof List<?> l ? l.get(0) : arg);
                Map<?, ?> vars = arg instanceof List<?> l && l.size() > 1 && l.get(1) instanceof Map<?, ?> v ? v : Map.of();
                Matcher matcher = SUB_NAME.matcher(text);
                while (matcher.find()) {
                    if (!vars.containsKey(matcher.group(1))) {
                        names.put(matcher.group(1), "placeholder-" + matcher.group(1));
                    }
                }
            }
            m.values().forEach(v -> collectNames(v, names));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectNames(v, names));
        }
    }

    @Test
    void configPhpsLoginIsAGeneratedStackSecretThatIsNotTheMaster() throws Exception {
        Map<String, Object> secret = template.resource("DatabaseAppSecret");
        assertThat(secret.get("Type")).isEqualTo("AWS::SecretsManager::Secret");
        assertThat(secret).as("both install modes need it").doesNotContainKey("Condition");
        Map<String, Object> generate = CfnTemplate.map(template.properties("DatabaseAppSecret").get("GenerateSecretString"));
        JsonNode base = json.readTree(String.valueOf(generate.get("SecretStringTemplate")));
        assertThat(base.path("username").asText()).matches("[a-z_][a-z0-9_]{0,31}")
                .isNotEqualTo(String.valueOf(template.properties("DatabaseCluster").get("MasterUsername")));
        assertThat(generate.get("GenerateStringKey")).isEqualTo("password");
        // Letters and digits: safe in a libpq connection string, SQL, PHP and a shell, and plain ASCII.
        assertThat(generate.get("ExcludePunctuation")).isEqualTo(true);
        assertThat(generate.get("IncludeSpace")).isNotEqualTo(true);
        assertThat(((Number) generate.get("PasswordLength")).intValue()).isGreaterThanOrEqualTo(32);
        // Not rotated: a rotation would need every instance's config.php re-rendered at once (docs/runbook.md).
        template.section("Resources").forEach((id, r) -> {
            if ("AWS::SecretsManager::RotationSchedule".equals(CfnTemplate.map(r).get("Type"))) {
                assertThat(String.valueOf(CfnTemplate.map(r).get("Properties"))).as(id).doesNotContain("DatabaseAppSecret");
            }
        });
    }

    @Test
    void theSiteConfigurationNamesBothSecretsAndHoldsNone() throws Exception {
        Object value = template.properties("SiteConfigParameter").get("Value");
        JsonNode site = json.readTree(resolver(value, Map.of()).string(value));

        assertThat(site.path("db_app_secret_arn").asText()).isEqualTo(APP_ARN);
        assertThat(site.path("db_secret_arn").asText()).isEqualTo(MASTER_ARN);
        assertThat(template.properties("SiteConfigParameter").get("Type")).isEqualTo("String");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Wizard", "Unattended"})
    void webInstancesReadTheirStacksApplicationAndMasterSecretsOnly(String installMode) {
        List<IamPolicy.Statement> statements = new ArrayList<>();
        Object policies = template.properties("WebInstanceRole").get("Policies");
        CfnTemplate.Resolver resolver = resolver(policies, Map.of("InstallMode", installMode));
        for (Object policy : CfnTemplate.list(policies)) {
            Map<String, Object> document = CfnTemplate.map(CfnTemplate.map(policy).get("PolicyDocument"));
            for (Object raw : CfnTemplate.list(document.get("Statement"))) {
                Map<String, Object> st = CfnTemplate.map(raw);
                statements.add(new IamPolicy.Statement(String.valueOf(st.get("Effect")), strings(resolver, st.get("Action")),
                        strings(resolver, st.get("Resource"))));
            }
        }
        IamPolicy policy = new IamPolicy(statements);

        assertThat(policy.allows("secretsmanager:GetSecretValue", APP_ARN)).isTrue();
        assertThat(policy.allows("secretsmanager:GetSecretValue", MASTER_ARN)).as("ensure-app-user.sh").isTrue();
        assertThat(policy.allows("secretsmanager:GetSecretValue", ADMIN_ARN)).isEqualTo(installMode.equals("Unattended"));
        assertThat(policy.allows("secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:/Moodle/other/DatabaseAppUser-AbCdEf")).isFalse();
        assertThat(policy.allows("secretsmanager:PutSecretValue", APP_ARN)).isFalse();
    }

    private static List<String> strings(CfnTemplate.Resolver resolver, Object node) {
        Object v = resolver.resolve(node);
        return v instanceof List<?> l ? l.stream().map(resolver::string).toList() : List.of(resolver.string(v));
    }
}
