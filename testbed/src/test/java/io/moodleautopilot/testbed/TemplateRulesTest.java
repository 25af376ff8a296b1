package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Rules template.yaml must keep: no wildcard grants, every '*' resource justified in a comment,
 * encryption and TLS everywhere data rests or moves, justified checkov skips, parameters that
 * {@code sam deploy --guided} can accept as they are, and samconfig.toml environments that pass the
 * parameters' own constraints.
 */
class TemplateRulesTest {
    /**
     * APIs for which IAM has no resource-level permissions (the service authorization reference lists
     * no resource type for them), so a policy can only grant them on "*". A '*' resource for any other
     * action is a grant wider than it needs to be.
     */
    private static final Set<String> NO_RESOURCE_LEVEL_APIS = Set.of(
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeLaunchConfigurations",
            "autoscaling:DescribeLifecycleHooks",
            "autoscaling:DescribePolicies",
            "autoscaling:DescribeScheduledActions",
            "autoscaling:DescribeNotificationConfigurations",
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceStatus",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeTags",
            "ec2:DescribeVolumes",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "tag:GetResources",
            "cloudwatch:PutMetricData",
            "cloudwatch:GetMetricData",
            "cloudwatch:ListMetrics",
            "ssm:DescribeParameters",
            "ssm:GetCommandInvocation",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords");

    private static final Pattern SERVICE_WILDCARD = Pattern.compile("[A-Za-z0-9-]+:\\*");
    private static final Pattern CHECKOV_ID = Pattern.compile("CKV2?_AWS_[0-9]+");

    private final CfnTemplate template = CfnTemplate.load();
    private final List<String> rawLines = lines(CfnTemplate.repositoryRoot().resolve("template.yaml"));

    // ------------------------------------------------------------------------------------------
    // Custom resources
    // ------------------------------------------------------------------------------------------

    /**
     * A function that fails before its handler runs (init, SnapStart restore) never answers; without
     * ServiceTimeout CloudFormation then waits an hour. With it, the wait ends soon after the
     * function's own timeout, which must fit inside it (a slow but healthy run is not cut off).
     */
    @Test
    void everyCustomResourceEndsWithinItsServiceTimeoutWhichCoversItsFunctionsTimeout() {
        Map<String, Object> resources = template.section("Resources");
        List<String> checked = new ArrayList<>();
        resources.forEach((id, body) -> {
            Map<?, ?> resource = (Map<?, ?>) body;
            if (!String.valueOf(resource.get("Type")).startsWith("Custom::")) {
                return;
            }
            Map<String, Object> props = template.properties(id);
            assertThat(props).as(id + " ServiceTimeout").containsKey("ServiceTimeout");
            int serviceTimeout = Integer.parseInt(String.valueOf(props.get("ServiceTimeout")));
            String token = String.valueOf(((Map<?, ?>) props.get("ServiceToken")).get("Ref"));
            String function = token.replaceFirst("Alias[A-Za-z0-9]+$", "");
            int functionTimeout = Integer.parseInt(String.valueOf(template.properties(function).get("Timeout")));
            assertThat(serviceTimeout).as(id).isGreaterThan(functionTimeout).isLessThan(3600);
            checked.add(id);
        });
        assertThat(checked).containsExactlyInAnyOrder("MoodleSource", "LifecycleConvergence", "EmptyBucketsOnDelete",
                "MailSmtpCredentials");
    }

    // ------------------------------------------------------------------------------------------
    // IAM
    // ------------------------------------------------------------------------------------------

    /** One policy statement found in the template, with where it was found. */
    record Statement(String where, Map<String, Object> body) {
        String effect() {
            return String.valueOf(body.get("Effect"));
        }

        List<String> actions() {
            return flatten(body.get("Action"));
        }

        List<String> resources() {
            return flatten(body.get("Resource"));
        }
    }

    /** Every policy statement in the template: role and function policies, bucket and file system policies, trust policies. */
    private List<Statement> statements() {
        List<Statement> out = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        collectStatements("", template.section("Resources"), out, unreadable);
        assertThat(unreadable).as("policy documents whose Statement is not a list of statements").isEmpty();
        return out;
    }

    private static void collectStatements(String where, Object node, List<Statement> out, List<String> unreadable) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                String here = where.isEmpty() ? key : where + "." + key;
                if (key.equals("Statement")) {
                    List<Object> items = branches(e.getValue());
                    if (items.isEmpty()) {
                        unreadable.add(here);
                    }
                    for (Object item : items) {
                        for (Object st : branches(item)) {
                            if (st instanceof Map<?, ?> sm && sm.containsKey("Effect")) {
                                out.add(new Statement(here, CfnTemplate.map(sm)));
                            } else if (!isNoValue(st)) {
                                unreadable.add(here + ": " + st);
                            }
                        }
                    }
                } else {
                    collectStatements(here, e.getValue(), out, unreadable);
                }
            }
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                collectStatements(where + "[" + i + "]", l.get(i), out, unreadable);
            }
        }
    }

    /** A list's elements, or both branches of an Fn::If (each flattened the same way), or the value itself. */
    private static List<Object> branches(Object node) {
        List<Object> out = new ArrayList<>();
        if (node instanceof List<?> l) {
            for (Object o : l) {
                out.addAll(branches(o));
            }
        } else if (node instanceof Map<?, ?> m && m.size() == 1 && m.containsKey("Fn::If")) {
            List<Object> a = CfnTemplate.list(m.get("Fn::If"));
            for (Object o : a.subList(1, a.size())) {
                out.addAll(branches(o));
            }
        } else if (node != null && !isNoValue(node)) {
            out.add(node);
        }
        return out;
    }

    private static boolean isNoValue(Object node) {
        return node instanceof Map<?, ?> m && "AWS::NoValue".equals(m.get("Ref"));
    }

    private static List<String> flatten(Object node) {
        return branches(node).stream().map(String::valueOf).toList();
    }

    @Test
    void theStatementScanSeesEveryPolicyOfTheTemplate() {
        Set<String> withStatements = new TreeSet<>();
        statements().forEach(s -> withStatements.add(s.where().split("\\.", 2)[0]));
        Set<String> withPolicies = new TreeSet<>();
        template.section("Resources").forEach((id, r) -> {
            Map<String, Object> res = CfnTemplate.map(r);
            Map<String, Object> props = CfnTemplate.map(res.get("Properties"));
            String type = String.valueOf(res.get("Type"));
            boolean inlinePolicies = (type.equals("AWS::Serverless::Function") || type.equals("AWS::IAM::Role"))
                    && props.containsKey("Policies")
                    && branches(props.get("Policies")).stream().anyMatch(p -> p instanceof Map<?, ?>);
            if (inlinePolicies || props.containsKey("PolicyDocument") || props.containsKey("FileSystemPolicy")
                    || props.containsKey("AssumeRolePolicyDocument") || type.equals("AWS::S3::BucketPolicy")) {
                withPolicies.add(id);
            }
        });
        assertThat(withPolicies).as("resources with policies").isNotEmpty();
        assertThat(withStatements).as("resources whose policy statements were read").containsAll(withPolicies);
    }

    @Test
    void noAllowStatementGrantsEveryActionOrAWholeService() {
        List<String> wide = new ArrayList<>();
        for (Statement s : statements()) {
            if (!s.effect().equals("Allow")) {
                continue;
            }
            if (s.body().containsKey("NotAction") || s.body().containsKey("NotResource")) {
                wide.add(s.where() + " " + s.body().get("Sid") + ": Allow with NotAction/NotResource");
            }
            for (String a : s.actions()) {
                if (a.equals("*") || SERVICE_WILDCARD.matcher(a).matches()) {
                    wide.add(s.where() + " " + s.body().get("Sid") + ": Allow " + a);
                }
            }
        }
        assertThat(wide).as("Allow statements with a wildcard action").isEmpty();
    }

    @Test
    void denyStatementsNameTheirActionsOrS3Only() {
        List<String> wide = new ArrayList<>();
        for (Statement s : statements()) {
            if (!s.effect().equals("Deny")) {
                continue;
            }
            for (String a : s.actions()) {
                boolean ok = !a.equals("*") && (!SERVICE_WILDCARD.matcher(a).matches() || a.equals("s3:*"));
                if (!ok) {
                    wide.add(s.where() + " " + s.body().get("Sid") + ": Deny " + a
                            + " (name the actions, e.g. [elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite, elasticfilesystem:ClientRootAccess])");
                }
            }
            assertThat(s.actions()).as("actions of Deny %s %s", s.where(), s.body().get("Sid")).isNotEmpty();
        }
        assertThat(wide).as("Deny statements with a bare '*' or a service wildcard other than s3:*").isEmpty();
    }

    @Test
    void actionsAllowedOnEveryResourceAreOnlyThoseWithoutResourceLevelPermissions() {
        Set<String> onStar = new TreeSet<>();
        for (Statement s : statements()) {
            // In a key policy, '*' is the key the policy is attached to, not every resource.
            if (s.effect().equals("Allow") && s.resources().contains("*") && !s.where().contains(".KeyPolicy.")) {
                onStar.addAll(s.actions());
            }
        }
        assertThat(onStar)
                .as("actions allowed on Resource '*' (only APIs IAM cannot scope to a resource may be)")
                .isSubsetOf(NO_RESOURCE_LEVEL_APIS);
    }

    private static final Pattern RAW_STAR_RESOURCE =
            Pattern.compile("^(\\s*)(?:-\\s+)?Resource:\\s*(\\[\\s*)?(['\"])\\*\\3\\s*(])?\\s*(#.*)?$");
    private static final Pattern RAW_STATEMENT_START = Pattern.compile("^(\\s*)-\\s+[A-Za-z]+:.*$");
    private static final Pattern RAW_COMMENT = Pattern.compile("^\\s*#\\s*\\S.*$");

    @Test
    void everyStarResourceInAnAllowStatementIsExplainedByAComment() {
        List<String> unexplained = new ArrayList<>();
        int rawAllowStars = 0;
        for (int i = 0; i < rawLines.size(); i++) {
            Matcher m = RAW_STAR_RESOURCE.matcher(rawLines.get(i));
            if (!m.matches()) {
                continue;
            }
            int keyColumn = rawLines.get(i).indexOf("Resource");
            int start = statementStart(i, keyColumn);
            assertThat(start).as("statement around template.yaml line %d", i + 1).isGreaterThanOrEqualTo(0);
            int dashColumn = rawLines.get(start).indexOf('-');
            int end = statementEnd(start, dashColumn);
            List<String> block = rawLines.subList(start, end);
            if (block.stream().noneMatch(l -> l.matches(".*\\bEffect:\\s*['\"]?Allow['\"]?\\s*(#.*)?$"))) {
                continue;
            }
            rawAllowStars++;
            boolean commentInside = block.stream().anyMatch(l -> RAW_COMMENT.matcher(l).matches());
            boolean commentAbove = start > 0 && RAW_COMMENT.matcher(rawLines.get(start - 1)).matches();
            if (!commentInside && !commentAbove) {
                unexplained.add("template.yaml:" + (i + 1) + " (statement at line " + (start + 1) + ": "
                        + rawLines.get(start).trim() + ")");
            }
        }
        long parsedAllowStars = statements().stream()
                .filter(s -> s.effect().equals("Allow") && s.resources().contains("*"))
                .count();
        assertThat(rawAllowStars)
                .as("Allow statements with Resource '*' seen in the text; write it as a line of its own, Resource: '*'")
                .isEqualTo(parsedAllowStars);
        assertThat(unexplained)
                .as("Resource '*' in an Allow statement needs a # comment (why IAM accepts nothing narrower) above its - Sid: line or inside it")
                .isEmpty();
    }

    /** The line of the "- Key:" that opens the list item (statement) holding the key at keyColumn. */
    private int statementStart(int line, int keyColumn) {
        Matcher self = RAW_STATEMENT_START.matcher(rawLines.get(line));
        if (self.matches() && self.group(1).length() < keyColumn) {
            return line;
        }
        for (int j = line - 1; j >= 0; j--) {
            String l = rawLines.get(j);
            if (l.isBlank() || RAW_COMMENT.matcher(l).matches()) {
                continue;
            }
            Matcher m = RAW_STATEMENT_START.matcher(l);
            int indent = l.length() - l.stripLeading().length();
            if (m.matches() && indent < keyColumn) {
                return j;
            }
            if (indent < keyColumn - 2) {
                return -1;
            }
        }
        return -1;
    }

    /** The first line after the statement that starts at start (exclusive end). */
    private int statementEnd(int start, int dashColumn) {
        for (int j = start + 1; j < rawLines.size(); j++) {
            String l = rawLines.get(j);
            if (l.isBlank()) {
                continue;
            }
            int indent = l.length() - l.stripLeading().length();
            if (indent <= dashColumn) {
                // A comment line at the item's own indentation introduces the next item, not this one.
                return j;
            }
        }
        return rawLines.size();
    }

    // ------------------------------------------------------------------------------------------
    // Encryption, TLS, backups, retention
    // ------------------------------------------------------------------------------------------

    private Map<String, Map<String, Object>> resourcesOfType(String type) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        template.section("Resources").forEach((id, r) -> {
            if (type.equals(CfnTemplate.map(r).get("Type"))) {
                out.put(id, CfnTemplate.map(r));
            }
        });
        return out;
    }

    private static Map<String, Object> props(Map<String, Object> resource) {
        return CfnTemplate.map(resource.get("Properties"));
    }

    private static boolean isTrue(Object v) {
        return v instanceof Boolean b ? b : "true".equalsIgnoreCase(String.valueOf(v));
    }

    @Test
    void launchTemplatesRequireImdsV2AndEncryptEveryVolume() {
        Map<String, Map<String, Object>> lts = resourcesOfType("AWS::EC2::LaunchTemplate");
        assertThat(lts).as("launch templates").isNotEmpty();
        lts.forEach((id, r) -> {
            Map<String, Object> data = CfnTemplate.map(props(r).get("LaunchTemplateData"));
            assertThat(CfnTemplate.map(data.get("MetadataOptions")).get("HttpTokens"))
                    .as("%s MetadataOptions.HttpTokens", id).isEqualTo("required");
            List<Object> devices = CfnTemplate.list(data.get("BlockDeviceMappings"));
            for (Object d : devices) {
                Map<String, Object> dev = CfnTemplate.map(d);
                if (dev.containsKey("Ebs")) {
                    assertThat(isTrue(CfnTemplate.map(dev.get("Ebs")).get("Encrypted")))
                            .as("%s %s Ebs.Encrypted", id, dev.get("DeviceName")).isTrue();
                }
            }
        });
    }

    @Test
    void bucketsAreEncryptedAndBlockPublicAccess() {
        Map<String, Map<String, Object>> buckets = resourcesOfType("AWS::S3::Bucket");
        assertThat(buckets).as("buckets").isNotEmpty();
        buckets.forEach((id, r) -> {
            Map<String, Object> p = props(r);
            List<Object> rules = CfnTemplate.list(CfnTemplate.map(p.get("BucketEncryption")).get("ServerSideEncryptionConfiguration"));
            assertThat(rules).as("%s BucketEncryption.ServerSideEncryptionConfiguration", id).isNotEmpty();
            for (Object rule : rules) {
                assertThat(CfnTemplate.map(CfnTemplate.map(rule).get("ServerSideEncryptionByDefault")).get("SSEAlgorithm"))
                        .as("%s SSEAlgorithm", id).isNotNull();
            }
            Map<String, Object> pab = CfnTemplate.map(p.get("PublicAccessBlockConfiguration"));
            for (String flag : List.of("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")) {
                assertThat(isTrue(pab.get(flag))).as("%s PublicAccessBlockConfiguration.%s", id, flag).isTrue();
            }
        });
    }

    @Test
    void databaseClusterIsEncryptedBackedUpAndProtected() {
        Map<String, Map<String, Object>> clusters = resourcesOfType("AWS::RDS::DBCluster");
        assertThat(clusters).as("DB clusters").isNotEmpty();
        clusters.forEach((id, r) -> {
            Map<String, Object> p = props(r);
            assertThat(isTrue(p.get("StorageEncrypted"))).as("%s StorageEncrypted", id).isTrue();
            assertThat(isTrue(p.get("ManageMasterUserPassword"))).as("%s ManageMasterUserPassword", id).isTrue();
            assertThat(p.get("BackupRetentionPeriod")).as("%s BackupRetentionPeriod", id).isNotNull();
            assertThat(new BigDecimal(String.valueOf(p.get("BackupRetentionPeriod"))))
                    .as("%s BackupRetentionPeriod", id).isGreaterThanOrEqualTo(BigDecimal.valueOf(30));
            // On, or the operator's choice (DatabaseDeletionProtection, on in prod: TeardownTest); the
            // final snapshot below is taken either way.
            assertThat(isTrue(p.get("DeletionProtection")) || Map.of("Ref", "DatabaseDeletionProtection")
                    .equals(p.get("DeletionProtection"))).as("%s DeletionProtection", id).isTrue();
            assertThat(r.get("DeletionPolicy")).as("%s DeletionPolicy", id).isEqualTo("Snapshot");
        });
    }

    @Test
    void databaseParameterGroupForcesTlsForBothEngines() {
        Map<String, Map<String, Object>> groups = resourcesOfType("AWS::RDS::DBClusterParameterGroup");
        assertThat(groups).as("DB cluster parameter groups").isNotEmpty();
        groups.forEach((id, r) -> {
            Object parameters = props(r).get("Parameters");
            assertThat(CfnTemplate.map(parameters)).as("%s Parameters (an Fn::If of the two engines' maps)", id)
                    .containsOnlyKeys("Fn::If");
            Map<String, Object> postgres = CfnTemplate.map(resolverFor("aurora-postgresql").resolve(parameters));
            Map<String, Object> mysql = CfnTemplate.map(resolverFor("aurora-mysql").resolve(parameters));
            assertThat(String.valueOf(postgres.get("rds.force_ssl"))).as("%s rds.force_ssl for PostgreSQL", id).isEqualTo("1");
            assertThat(String.valueOf(mysql.get("require_secure_transport")))
                    .as("%s require_secure_transport for MySQL", id).isEqualToIgnoringCase("ON");
        });
    }

    private CfnTemplate.Resolver resolverFor(String engine) {
        return new CfnTemplate.Resolver(template, "moodle", Map.of("DatabaseEngine", engine), Map.of());
    }

    @Test
    void redisAndValkeyCachesEncryptInTransitAndAtRest() {
        Map<String, Map<String, Object>> groups = resourcesOfType("AWS::ElastiCache::ReplicationGroup");
        assertThat(groups).as("replication groups").isNotEmpty();
        groups.forEach((id, r) -> {
            Map<String, Object> p = props(r);
            assertThat(isTrue(p.get("TransitEncryptionEnabled"))).as("%s TransitEncryptionEnabled", id).isTrue();
            assertThat(isTrue(p.get("AtRestEncryptionEnabled"))).as("%s AtRestEncryptionEnabled", id).isTrue();
        });
    }

    @Test
    void fileSystemIsEncryptedAndBackedUp() {
        Map<String, Map<String, Object>> fileSystems = resourcesOfType("AWS::EFS::FileSystem");
        assertThat(fileSystems).as("EFS file systems").isNotEmpty();
        fileSystems.forEach((id, r) -> {
            Map<String, Object> p = props(r);
            assertThat(isTrue(p.get("Encrypted"))).as("%s Encrypted", id).isTrue();
            assertThat(CfnTemplate.map(p.get("BackupPolicy")).get("Status")).as("%s BackupPolicy.Status", id).isEqualTo("ENABLED");
        });
    }

    @Test
    void everyLogGroupHasARetention() {
        Map<String, Map<String, Object>> logGroups = resourcesOfType("AWS::Logs::LogGroup");
        assertThat(logGroups).as("log groups").isNotEmpty();
        logGroups.forEach((id, r) -> assertThat(props(r).get("RetentionInDays")).as("%s RetentionInDays", id).isNotNull());
    }

    // ------------------------------------------------------------------------------------------
    // checkov skips
    // ------------------------------------------------------------------------------------------

    @Test
    void everyCheckovSkipNamesACheckAndSaysWhy() {
        List<String> bad = new ArrayList<>();
        int skips = 0;
        for (Map.Entry<String, Object> e : template.section("Resources").entrySet()) {
            Map<String, Object> checkov = CfnTemplate.map(CfnTemplate.map(CfnTemplate.map(e.getValue()).get("Metadata")).get("checkov"));
            if (checkov.containsKey("skip") && !(checkov.get("skip") instanceof List<?>)) {
                bad.add(e.getKey() + ": Metadata.checkov.skip is not a list");
            }
            for (Object s : CfnTemplate.list(checkov.get("skip"))) {
                skips++;
                Map<String, Object> skip = CfnTemplate.map(s);
                String id = String.valueOf(skip.get("id"));
                String comment = skip.get("comment") == null ? "" : String.valueOf(skip.get("comment")).trim();
                if (!CHECKOV_ID.matcher(id).matches()) {
                    bad.add(e.getKey() + ": id " + id + " is not CKV_AWS_n/CKV2_AWS_n");
                }
                if (comment.length() < 30) {
                    bad.add(e.getKey() + " " + id + ": comment shorter than 30 characters: '" + comment + "'");
                }
            }
        }
        assertThat(skips).as("checkov skips found").isPositive();
        assertThat(bad).as("checkov skips").isEmpty();
    }

    // ------------------------------------------------------------------------------------------
    // Parameters and samconfig.toml
    // ------------------------------------------------------------------------------------------

    @Test
    void everyParameterHasADefaultAndADescription() {
        List<String> bad = new ArrayList<>();
        template.section("Parameters").forEach((name, p) -> {
            Map<String, Object> param = CfnTemplate.map(p);
            if (!param.containsKey("Default") || param.get("Default") == null) {
                bad.add(name + ": no Default (sam deploy --guided must be able to accept every default)");
            }
            Object d = param.get("Description");
            if (d == null || String.valueOf(d).isBlank()) {
                bad.add(name + ": no Description");
            }
        });
        assertThat(template.section("Parameters")).as("parameters").isNotEmpty();
        assertThat(bad).isEmpty();
    }

    @Test
    void everyDefaultSatisfiesItsOwnParameter() {
        List<String> bad = new ArrayList<>();
        template.section("Parameters").forEach((name, p) -> {
            Object d = CfnTemplate.map(p).get("Default");
            if (d != null) {
                bad.addAll(violations(name, String.valueOf(d)));
            }
        });
        assertThat(bad).isEmpty();
    }

    @Test
    void parameterGroupsListEveryParameterExactlyOnce() {
        Set<String> parameters = template.section("Parameters").keySet();
        List<Object> groups = CfnTemplate.list(CfnTemplate.map(template.section("Metadata")
                .get("AWS::CloudFormation::Interface")).get("ParameterGroups"));
        assertThat(groups).as("Metadata.AWS::CloudFormation::Interface.ParameterGroups").isNotEmpty();
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (Object g : groups) {
            Map<String, Object> group = CfnTemplate.map(g);
            for (Object n : CfnTemplate.list(group.get("Parameters"))) {
                String name = String.valueOf(n);
                seen.merge(name, 1, Integer::sum);
                if (!parameters.contains(name)) {
                    unknown.add(name + " (group " + CfnTemplate.map(group.get("Label")).get("default") + ")");
                }
            }
        }
        assertThat(unknown).as("parameters named by a group that the template does not declare").isEmpty();
        Map<String, Integer> notOnce = new LinkedHashMap<>();
        for (String p : parameters) {
            int n = seen.getOrDefault(p, 0);
            if (n != 1) {
                notOnce.put(p, n);
            }
        }
        assertThat(notOnce).as("parameters (with the number of groups listing them) not in exactly one group").isEmpty();
    }

    @Test
    void samconfigEnvironmentsPassTheParametersConstraints() {
        Map<String, List<String>> overrides = parameterOverrides(lines(CfnTemplate.repositoryRoot().resolve("samconfig.toml")));
        assertThat(overrides).as("samconfig.toml environments with parameter_overrides")
                .containsKeys("dev.deploy.parameters", "prod.deploy.parameters");
        Set<String> parameters = template.section("Parameters").keySet();
        List<String> bad = new ArrayList<>();
        for (String table : List.of("dev.deploy.parameters", "prod.deploy.parameters")) {
            List<String> entries = overrides.get(table);
            assertThat(entries).as("[%s] parameter_overrides", table).isNotEmpty();
            Set<String> names = new LinkedHashSet<>();
            for (String entry : entries) {
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    bad.add("[" + table + "] " + entry + ": not Name=Value");
                    continue;
                }
                String name = entry.substring(0, eq);
                String value = entry.substring(eq + 1);
                if (!names.add(name)) {
                    bad.add("[" + table + "] " + name + ": given twice");
                }
                if (!parameters.contains(name)) {
                    bad.add("[" + table + "] " + name + ": not a template parameter");
                    continue;
                }
                violations(name, value).forEach(v -> bad.add("[" + table + "] " + v));
            }
        }
        assertThat(bad).isEmpty();
    }

    /** How value breaks parameter name's AllowedValues, AllowedPattern, MinValue/MaxValue, MinLength/MaxLength or Number type. */
    private List<String> violations(String name, String value) {
        Map<String, Object> p = CfnTemplate.map(template.section("Parameters").get(name));
        List<String> out = new ArrayList<>();
        if (p.containsKey("AllowedValues")) {
            List<String> allowed = CfnTemplate.list(p.get("AllowedValues")).stream().map(String::valueOf).toList();
            if (!allowed.contains(value)) {
                out.add(name + "=" + value + ": not one of " + allowed);
            }
        }
        if (p.containsKey("AllowedPattern")) {
            String pattern = String.valueOf(p.get("AllowedPattern"));
            if (!Pattern.compile(pattern).matcher(value).matches()) {
                out.add(name + "=" + value + ": does not match " + pattern);
            }
        }
        if (p.containsKey("MinLength") && value.length() < Integer.parseInt(String.valueOf(p.get("MinLength")))) {
            out.add(name + "=" + value + ": shorter than " + p.get("MinLength"));
        }
        if (p.containsKey("MaxLength") && value.length() > Integer.parseInt(String.valueOf(p.get("MaxLength")))) {
            out.add(name + "=" + value + ": longer than " + p.get("MaxLength"));
        }
        boolean numeric = "Number".equals(p.get("Type"));
        if (numeric || p.containsKey("MinValue") || p.containsKey("MaxValue")) {
            BigDecimal number;
            try {
                number = new BigDecimal(value);
            } catch (NumberFormatException e) {
                out.add(name + "=" + value + ": not a number");
                return out;
            }
            if (p.containsKey("MinValue") && number.compareTo(new BigDecimal(String.valueOf(p.get("MinValue")))) < 0) {
                out.add(name + "=" + value + ": below MinValue " + p.get("MinValue"));
            }
            if (p.containsKey("MaxValue") && number.compareTo(new BigDecimal(String.valueOf(p.get("MaxValue")))) > 0) {
                out.add(name + "=" + value + ": above MaxValue " + p.get("MaxValue"));
            }
        }
        return out;
    }

    private static final Pattern TOML_TABLE = Pattern.compile("^\\s*\\[([^\\[\\]]+)]\\s*(#.*)?$");
    private static final Pattern TOML_OVERRIDES_OPEN = Pattern.compile("^\\s*parameter_overrides\\s*=\\s*\\[(.*)$");
    private static final Pattern TOML_STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** parameter_overrides = [ "Name=Value", ... ] of each samconfig.toml table that has one. */
    static Map<String, List<String>> parameterOverrides(List<String> toml) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String table = "";
        for (int i = 0; i < toml.size(); i++) {
            String line = toml.get(i);
            Matcher t = TOML_TABLE.matcher(line);
            if (t.matches()) {
                table = t.group(1).trim();
                continue;
            }
            if (line.matches("^\\s*parameter_overrides\\s*=\\s*\".*")) {
                throw new AssertionError("samconfig.toml [" + table + "] parameter_overrides: use the list form, one \"Name=Value\" a line");
            }
            Matcher open = TOML_OVERRIDES_OPEN.matcher(line);
            if (!open.matches()) {
                continue;
            }
            List<String> entries = new ArrayList<>();
            StringBuilder body = new StringBuilder(open.group(1));
            while (!body.toString().replaceAll(TOML_STRING.pattern(), "").contains("]")) {
                i++;
                if (i >= toml.size()) {
                    throw new AssertionError("samconfig.toml [" + table + "] parameter_overrides: no closing ]");
                }
                body.append('\n').append(toml.get(i));
            }
            for (String l : body.toString().split("\n")) {
                String rest = l.replaceAll("#.*$", "").trim();
                Matcher s = TOML_STRING.matcher(rest);
                while (s.find()) {
                    entries.add(s.group(1));
                }
                String leftover = rest.replaceAll(TOML_STRING.pattern(), "").replaceAll("[,\\]\\s]", "");
                if (!leftover.isEmpty()) {
                    throw new AssertionError("samconfig.toml [" + table + "] parameter_overrides: cannot read '" + l + "'");
                }
            }
            out.put(table, entries);
        }
        return out;
    }

    @Test
    void theSamconfigReaderReadsListsAndRefusesWhatItCannotRead() {
        Map<String, List<String>> read = parameterOverrides(List.of(
                "[a.deploy.parameters]",
                "parameter_overrides = [",
                "  \"X=1\",",
                "  # a comment",
                "  \"Y=a b\"",
                "]",
                "[b.deploy.parameters]",
                "parameter_overrides = [\"Z=2\", \"W=\"]"));
        assertThat(read).containsOnlyKeys("a.deploy.parameters", "b.deploy.parameters");
        assertThat(read.get("a.deploy.parameters")).containsExactly("X=1", "Y=a b");
        assertThat(read.get("b.deploy.parameters")).containsExactly("Z=2", "W=");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parameterOverrides(List.of(
                "[a.deploy.parameters]", "parameter_overrides = \"X=1 Y=2\""))).isInstanceOf(AssertionError.class);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
