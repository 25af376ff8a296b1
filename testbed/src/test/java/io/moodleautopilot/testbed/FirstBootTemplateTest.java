package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * First boot and scale-out, as template.yaml and the bundle must agree on them: nothing the first
 * instance reads is created after it; every instance waits in Pending:Wait until its bootstrap
 * completes the launch hook, which the instance role may complete on this group only; the waits of
 * the bundle fit the hook's heartbeat; CodeDeploy's last good revision never expires; the health
 * check asks the bundle's health page.
 */
class FirstBootTemplateTest {
    private static final Pattern SUB_REF = Pattern.compile("\\$\\{([A-Za-z0-9]+)(?:\\.[A-Za-z0-9.]+)?}");

    private final CfnTemplate template = CfnTemplate.load();
    private final Path root = CfnTemplate.repositoryRoot();

    /** Every resource the group waits for: DependsOn and references, followed transitively. */
    private Set<String> createdBefore(String logicalId) {
        Set<String> resources = template.section("Resources").keySet();
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(logicalId));
        while (!todo.isEmpty()) {
            String id = todo.pop();
            Map<String, Object> r = template.resource(id);
            Set<String> next = new LinkedHashSet<>();
            Object dependsOn = r.get("DependsOn");
            if (dependsOn instanceof List<?> l) {
                l.forEach(d -> next.add(String.valueOf(d)));
            } else if (dependsOn != null) {
                next.add(String.valueOf(dependsOn));
            }
            collectReferences(r.get("Properties"), next);
            for (String n : next) {
                if (resources.contains(n) && seen.add(n)) {
                    todo.push(n);
                }
            }
        }
        return seen;
    }

    private static void collectReferences(Object node, Set<String> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.containsKey("Ref")) {
                out.add(String.valueOf(m.get("Ref")));
            } else if (m.size() == 1 && m.containsKey("Fn::GetAtt")) {
                out.add(String.valueOf(CfnTemplate.list(m.get("Fn::GetAtt")).get(0)));
            } else if (m.size() == 1 && m.containsKey("Fn::Sub")) {
                Object sub = m.get("Fn::Sub");
                String text = sub instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(sub);
                Matcher matcher = SUB_REF.matcher(text);
                while (matcher.find()) {
                    out.add(matcher.group(1));
                }
                if (sub instanceof List<?> l && l.size() > 1) {
                    collectReferences(l.get(1), out);
                }
                return;
            }
            m.values().forEach(v -> collectReferences(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectReferences(v, out));
        }
    }

    private Map<String, Object> group() {
        return template.properties("WebAutoScalingGroup");
    }

    private Map<String, Object> launchHook() {
        List<Object> hooks = CfnTemplate.list(group().get("LifecycleHookSpecificationList"));
        assertThat(hooks).as("the group's lifecycle hooks").hasSize(1);
        return CfnTemplate.map(hooks.get(0));
    }

    private String read(String relative) {
        try {
            return Files.readString(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noInstanceLaunchesBeforeWhatItsBootstrapReads() {
        Set<String> before = createdBefore("WebAutoScalingGroup");

        assertThat(before).as("created before the first instance launches").contains(
                // what UserData and the bootstrap read
                "MoodleSource", "SiteConfigParameter", "WebInstanceProfile", "DatabaseWriter",
                // moodledata in every zone the group may use
                "FileSystemMountTarget1", "FileSystemMountTarget2", "FileSystemMountTarget3", "MoodleDataAccessPoint",
                // the way out of every App subnet
                "PrivateDefaultRoute1", "PrivateDefaultRoute2", "PrivateDefaultRoute3",
                "AppSubnet1Routes", "AppSubnet2Routes", "AppSubnet3Routes", "S3GatewayEndpoint");
        // The zone-3 resources exist only with three zones, and DependsOn cannot be conditional: they
        // come in as references, so that the template is valid with two zones too.
        List<Object> dependsOn = CfnTemplate.list(template.resource("WebAutoScalingGroup").get("DependsOn"));
        for (String zone3 : List.of("FileSystemMountTarget3", "PrivateDefaultRoute3", "AppSubnet3Routes")) {
            assertThat(template.resource(zone3).get("Condition")).as(zone3).isEqualTo("ThreeZones");
            assertThat(dependsOn).as("DependsOn of the group").doesNotContain(zone3);
        }
    }

    @Test
    void userDatasFirstReadIsRetriedWhileTheRoleIsNew() {
        Map<String, Object> data = CfnTemplate.map(template.properties("WebLaunchTemplate").get("LaunchTemplateData"));
        String userData = String.valueOf(CfnTemplate.map(CfnTemplate.map(data.get("UserData")).get("Fn::Base64")).get("Fn::Sub"));
        assertThat(userData).containsPattern("for attempt in \\$\\(seq 1 [0-9]+\\); do\\n\\s+aws s3 cp [^\\n]+ && break\\n");
        // The bootstrap's own first read waits the same way (lib.sh, wait_for_site_config).
        assertThat(read("bundle/files/scripts/bootstrap.sh")).contains("SITE_JSON=$(wait_for_site_config)");
    }

    @Test
    void everyInstanceWaitsInPendingWaitForItsBootstrap() {
        Map<String, Object> hook = launchHook();
        assertThat(hook.get("LifecycleTransition")).isEqualTo("autoscaling:EC2_INSTANCE_LAUNCHING");
        assertThat(hook.get("DefaultResult")).as("a bootstrap that never finishes is abandoned").isEqualTo("ABANDON");
        int heartbeat = Integer.parseInt(String.valueOf(hook.get("HeartbeatTimeout")));
        assertThat(heartbeat).as("room for packages, EFS, the release and an unattended install").isBetween(3600, 7200);
        // The grace period counts from InService, which the hook puts after the bootstrap.
        assertThat(Integer.parseInt(String.valueOf(group().get("HealthCheckGracePeriod")))).isBetween(120, 900);

        // The bootstrap finds the hook and the group by the names the site configuration gives it.
        String site = String.valueOf(CfnTemplate.list(CfnTemplate.map(template.properties("SiteConfigParameter").get("Value"))
                .get("Fn::Sub")).get(0));
        assertThat(site).contains("\"launch_hook\": \"" + hook.get("LifecycleHookName") + "\"");
        assertThat(CfnTemplate.map(group().get("AutoScalingGroupName")).get("Fn::Sub")).isEqualTo("${AWS::StackName}-web");
        assertThat(site).contains("\"web_group\": \"${AWS::StackName}-web\"");
    }

    @Test
    void theInstanceRoleMayCompleteTheLaunchHookOfItsOwnGroupOnly() {
        CfnTemplate.Resolver resolver = new CfnTemplate.Resolver(template, "moodle", Map.of(), Map.of());
        List<Map<String, Object>> statements = CfnTemplate.list(CfnTemplate.list(template.properties("WebInstanceRole")
                .get("Policies")).stream().map(p -> CfnTemplate.map(CfnTemplate.map(p).get("PolicyDocument")))
                .flatMap(d -> CfnTemplate.list(d.get("Statement")).stream()).toList())
                .stream().map(CfnTemplate::map).toList();
        List<Map<String, Object>> lifecycle = statements.stream()
                .filter(s -> String.valueOf(s.get("Action")).startsWith("autoscaling:")).toList();
        assertThat(lifecycle).hasSize(1);
        assertThat(lifecycle.get(0).get("Action")).isEqualTo("autoscaling:CompleteLifecycleAction");
        assertThat(resolver.string(lifecycle.get(0).get("Resource"))).isEqualTo("arn:aws:autoscaling:"
                + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":autoScalingGroup:*:autoScalingGroupName/moodle-web");
    }

    @Test
    void codeDeploysWaitForTheBootstrapFitsTheLaunchHook() {
        int heartbeat = Integer.parseInt(String.valueOf(launchHook().get("HeartbeatTimeout")));
        Matcher wait = Pattern.compile("BOOTSTRAP_WAIT_SECONDS=\"\\$\\{BOOTSTRAP_WAIT_SECONDS:-([0-9]+)}\"")
                .matcher(read("bundle/files/scripts/before-install.sh"));
        assertThat(wait.find()).as("before-install.sh's default wait").isTrue();
        int waits = Integer.parseInt(wait.group(1));
        Matcher timeout = Pattern.compile("location: scripts/before-install.sh\\s+timeout: ([0-9]+)")
                .matcher(read("bundle/files/appspec.yml"));
        assertThat(timeout.find()).as("BeforeInstall's timeout in appspec.yml").isTrue();
        int hookTimeout = Integer.parseInt(timeout.group(1));

        assertThat(waits).as("before-install.sh waits as long as the bootstrap may take")
                .isGreaterThanOrEqualTo(heartbeat - 120).isLessThan(hookTimeout);
    }

    @Test
    void codeDeploysLastSuccessfulRevisionNeverExpires() {
        Map<String, Object> lifecycle = CfnTemplate.map(template.properties("ArtifactBucket").get("LifecycleConfiguration"));
        List<Object> rules = CfnTemplate.list(lifecycle.get("Rules"));
        assertThat(rules).isNotEmpty();
        for (Object rule : rules) {
            Map<String, Object> r = CfnTemplate.map(rule);
            assertThat(r).as("rule %s expires current objects", r.get("Id"))
                    .doesNotContainKeys("ExpirationInDays", "ExpirationDate", "ExpiredObjectDeleteMarker");
        }
        assertThat(rules).anyMatch(r -> CfnTemplate.map(r).containsKey("NoncurrentVersionExpiration"));
    }

    @Test
    void theHealthCheckAsksTheBundlesHealthPage() {
        Map<String, Object> tg = template.properties("WebTargetGroup");
        assertThat(tg.get("HealthCheckPath")).isEqualTo("/autopilot-health");
        assertThat(CfnTemplate.map(tg.get("Matcher")).get("HttpCode")).isEqualTo("200");
        assertThat(read("bundle/files/config/httpd-moodle.conf")).contains("Alias " + tg.get("HealthCheckPath") + " ");
        assertThat(root.resolve("bundle/files/config/health.php")).isRegularFile();
    }

    @Test
    void theEfsPolicysPrincipalIsCreatedWellBeforeThePolicy() {
        Object dependsOn = template.resource("FileSystem").get("DependsOn");
        List<Object> names = dependsOn instanceof List<?> ? CfnTemplate.list(dependsOn) : List.of(String.valueOf(dependsOn));
        // The policy names the role; the instance profile is created after the role, and waits for IAM.
        assertThat(names).as("FileSystem's DependsOn").contains("WebInstanceProfile");
        assertThat(template.properties("WebInstanceProfile").toString()).contains("WebInstanceRole");
    }

    @Test
    void theFirstPipelineRunStopsBeforeDeploy() {
        Map<String, Object> pipeline = template.properties("DeploymentPipeline");
        List<String> stages = CfnTemplate.list(pipeline.get("Stages")).stream()
                .map(s -> String.valueOf(CfnTemplate.map(s).get("Name"))).toList();
        assertThat(stages).isEqualTo(CodePipelineStandIn.STAGES);
        List<Object> disabled = CfnTemplate.list(pipeline.get("DisableInboundStageTransitions"));
        assertThat(disabled).extracting(t -> CfnTemplate.map(t).get("StageName"))
                .containsExactly(CodePipelineStandIn.DISABLED_ON_CREATION);
        // DisableStageTransition's reason: 1-300 characters of [a-zA-Z0-9!@ ().*?-] (the service model).
        assertThat(String.valueOf(CfnTemplate.map(disabled.get(0)).get("Reason")))
                .matches("[a-zA-Z0-9!@ ().*?\\-]{1,300}");
    }
}
