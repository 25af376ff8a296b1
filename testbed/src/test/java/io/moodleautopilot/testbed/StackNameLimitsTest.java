package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Names built from the stack name fit their services' limits for every stack name the documented
 * rule allows (review A6), and the cache alarms watch the cache clusters by the names ElastiCache gives
 * them. The rule is what scripts/preflight checks before a deploy.
 */
class StackNameLimitsTest {
    /** The documented rule: lower-case letters, digits and single hyphens, a letter first, at most 28 characters. */
    static final int MAX_LENGTH = 28;
    static final Pattern STACK_NAME = Pattern.compile("^(?!aws|amazon|amzn)(?!.*--)[a-z]([a-z0-9-]{0,26}[a-z0-9])?$");

    /**
     * The services' limits (and, after the colon, what each name must also satisfy). Every property
     * of the template that builds a name from the stack name must be listed here.
     */
    private static final Map<String, Integer> LIMITS = Map.ofEntries(
            Map.entry("AWS::ElasticLoadBalancingV2::LoadBalancer/Name", 32),
            Map.entry("AWS::ElasticLoadBalancingV2::TargetGroup/Name", 32),
            Map.entry("AWS::ElastiCache::ReplicationGroup/ReplicationGroupId", 40),
            Map.entry("AWS::ElastiCache::CacheCluster/ClusterName", 50),
            Map.entry("AWS::ElastiCache::ServerlessCache/ServerlessCacheName", 40),
            Map.entry("AWS::RDS::DBCluster/DBClusterIdentifier", 63),
            Map.entry("AWS::RDS::DBInstance/DBInstanceIdentifier", 63),
            Map.entry("AWS::Serverless::Function/FunctionName", 64),
            Map.entry("AWS::Serverless::Function/Events.EveryMinute.Properties.Name", 64),
            Map.entry("AWS::SSM::Document/Name", 128),
            Map.entry("AWS::SSM::Parameter/Name", 1011),
            Map.entry("AWS::EC2::LaunchTemplate/LaunchTemplateName", 128),
            Map.entry("AWS::AutoScaling::AutoScalingGroup/AutoScalingGroupName", 255),
            Map.entry("AWS::CodeDeploy::Application/ApplicationName", 100),
            Map.entry("AWS::CodeDeploy::DeploymentGroup/DeploymentGroupName", 100),
            Map.entry("AWS::CodePipeline::Pipeline/Name", 100),
            Map.entry("AWS::SNS::Topic/TopicName", 256),
            Map.entry("AWS::DynamoDB::Table/TableName", 255),
            Map.entry("AWS::CloudWatch::Alarm/AlarmName", 255),
            Map.entry("AWS::CloudWatch::Dashboard/DashboardName", 255),
            Map.entry("AWS::CloudFront::CachePolicy/CachePolicyConfig.Name", 128),
            Map.entry("AWS::SecretsManager::Secret/Name", 512),
            // SES: configuration set names up to 64 characters (SESv2 CreateConfigurationSet).
            Map.entry("AWS::SES::ConfigurationSet/Name", 64),
            Map.entry("AWS::Logs::LogGroup/LogGroupName", 512));

    /** Names that may not begin with these (case-insensitive): SSM documents. */
    private static final Pattern RESERVED_PREFIX = Pattern.compile("^(?i)(aws|amazon|amzn)");

    private static final Pattern NAME_KEY = Pattern.compile(".*(Name|Identifier|Id)$");

    private final CfnTemplate template = CfnTemplate.load();

    /** type/path -> (logical id, expression) of every name built from the stack name. */
    private Map<String, List<Map.Entry<String, Object>>> namesFromTheStackName() {
        Map<String, List<Map.Entry<String, Object>>> out = new LinkedHashMap<>();
        template.section("Resources").forEach((id, body) -> {
            Map<String, Object> r = CfnTemplate.map(body);
            collect(String.valueOf(r.get("Type")), id, "", CfnTemplate.map(r.get("Properties")), out);
        });
        return out;
    }

    private static void collect(String type, String id, String path, Object node,
                                Map<String, List<Map.Entry<String, Object>>> out) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                String here = path.isEmpty() ? key : path + "." + key;
                if (key.equals("Pattern")) {
                    continue; // an event pattern matches names (alarmName prefix), it names nothing
                }
                if (NAME_KEY.matcher(key).matches() && String.valueOf(e.getValue()).contains("AWS::StackName")) {
                    out.computeIfAbsent(type + "/" + here, k -> new ArrayList<>()).add(Map.entry(id, e.getValue()));
                } else {
                    collect(type, id, here, e.getValue(), out);
                }
            }
        }
    }

    private CfnTemplate.Resolver resolver(String stack) {
        return new CfnTemplate.Resolver(template, stack, Map.of(), Map.of());
    }

    private List<String> tooLong(String stack) {
        List<String> out = new ArrayList<>();
        CfnTemplate.Resolver r = resolver(stack);
        namesFromTheStackName().forEach((key, uses) -> uses.forEach(use -> {
            String name = r.string(use.getValue());
            if (name.length() > LIMITS.getOrDefault(key, 0)) {
                out.add(use.getKey() + " " + key + " = " + name + " (" + name.length() + " > " + LIMITS.get(key) + ")");
            }
        }));
        return out;
    }

    @Test
    void everyNameBuiltFromTheStackNameHasAKnownLimit() {
        assertThat(LIMITS.keySet()).as("name properties built from the stack name, each with its service's limit")
                .containsAll(namesFromTheStackName().keySet());
    }

    @Test
    void everyNameFitsForTheLongestAllowedStackNameAndTheLimitIsTight() {
        String longest = "moodle-university-of-example";
        assertThat(longest).hasSize(MAX_LENGTH).matches(STACK_NAME);
        assertThat(tooLong(longest)).as("names too long for a %d-character stack name", MAX_LENGTH).isEmpty();
        assertThat(tooLong(longest + "s")).as("a longer stack name breaks a limit (the rule is as loose as it can be)")
                .isNotEmpty();
    }

    @Test
    void theRuleRefusesStackNamesThatBreakANameOrAMetricDimension() {
        for (String ok : List.of("moodle", "moodle-dev", "moodle-prod", "m", "lms2", "my-moodle-2026")) {
            assertThat(ok).as("allowed stack name").matches(STACK_NAME);
        }
        // Capitals: ElastiCache and RDS store their identifiers lower-cased. aws/amazon/amzn: SSM
        // document names. Double or trailing hyphens: ElastiCache and RDS identifiers refuse them.
        for (String bad : List.of("Moodle", "moodleProd", "aws-moodle", "amazon-lms", "amzn1", "moodle--dev", "moodle-",
                "1moodle", "moodle_dev", "moodle-university-of-examples")) {
            assertThat(STACK_NAME.matcher(bad).matches()).as("refused stack name %s", bad).isFalse();
        }
        CfnTemplate.Resolver r = resolver("moodle");
        template.section("Resources").forEach((id, body) -> {
            if ("AWS::SSM::Document".equals(CfnTemplate.map(body).get("Type"))) {
                String name = String.valueOf(template.properties(id).get("Name"));
                assertThat(name).as("%s Name starts with the stack name (so the rule keeps it valid)", id)
                        .startsWith("{Fn::Sub=${AWS::StackName}");
                assertThat(r.string(template.properties(id).get("Name"))).doesNotContainPattern(RESERVED_PREFIX);
            }
        });
    }

    @Test
    void theSamconfigStackNamesFollowTheRule() throws IOException {
        Matcher m = Pattern.compile("(?m)^stack_name\\s*=\\s*\"([^\"]*)\"").matcher(
                Files.readString(CfnTemplate.repositoryRoot().resolve("samconfig.toml")));
        int n = 0;
        while (m.find()) {
            n++;
            assertThat(m.group(1)).as("samconfig.toml stack_name").matches(STACK_NAME);
        }
        assertThat(n).as("stack names in samconfig.toml").isPositive();
    }

    @Test
    void theRuleIsWrittenWhereOperatorsChooseTheName() throws IOException {
        for (String doc : List.of("README.md", "samconfig.toml", "docs/architecture.md")) {
            String text = Files.readString(CfnTemplate.repositoryRoot().resolve(doc));
            assertThat(text).as(doc).contains("lower-case").contains("at most " + MAX_LENGTH + " characters")
                    .contains("aws").contains("amzn");
        }
    }

    /**
     * ElastiCache names a replication group's member clusters <group id>-001.. in lower case; a
     * dimension built from the stack name would miss them for a stack name with capitals, so the
     * alarms take the id the cache resource itself reports.
     */
    @Test
    void cacheAlarmsWatchTheMemberClusterOfTheirOwnCache() {
        CfnTemplate.Resolver r = new CfnTemplate.Resolver(template, "moodle",
                Map.of("SessionCacheEngine", "valkey", "ApplicationCacheEngine", "valkey"),
                Map.of("SessionReplicationGroup", "session-rg-from-elasticache",
                        "ApplicationReplicationGroup", "app-rg-from-elasticache"));
        Map<String, String> want = Map.of(
                "SessionCacheCpuAlarm", "session-rg-from-elasticache-001",
                "SessionCacheEvictionsAlarm", "session-rg-from-elasticache-001",
                "ApplicationCacheCpuAlarm", "app-rg-from-elasticache-001",
                "ApplicationCacheEvictionsAlarm", "app-rg-from-elasticache-001");
        want.forEach((alarm, cluster) -> {
            Object dims = RegionCoverageTest.deep(r, template.properties(alarm).get("Dimensions"));
            Map<String, Object> dim = CfnTemplate.map(CfnTemplate.list(dims).get(0));
            assertThat(dim.get("Name")).isEqualTo("CacheClusterId");
            assertThat(dim.get("Value")).as("%s CacheClusterId", alarm).isEqualTo(cluster);
        });
    }
}
