package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.RegionMetadata;

/**
 * The template deploys in every commercial region: each region-keyed mapping lookup resolves for
 * every region, the load balancer's access-log bucket policy names the principal that writes there,
 * and CloudFront standard logging is configured only where CloudFront can deliver to the bucket.
 * Every region of the list below is evaluated, not only the emulator's us-east-1.
 */
class RegionCoverageTest {
    /**
     * The commercial regions (partition {@code aws}) as of November 2026: AWS Regions and Availability
     * Zones, "AWS Regions" (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html),
     * cross-checked against the {@code aws} partition of botocore's endpoints.json (botocore 1.43.127,
     * the AWS CLI's region list). {@link #theListHasEveryCommercialRegionTheSdkKnows} fails when a newer
     * SDK knows a region this list lacks.
     */
    static final List<String> COMMERCIAL_REGIONS = List.of(
            "us-east-1", "us-east-2", "us-west-1", "us-west-2",
            "af-south-1",
            "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
            "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
            "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
            "ap-southeast-6", "ap-southeast-7",
            "ca-central-1", "ca-west-1",
            "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
            "eu-west-1", "eu-west-2", "eu-west-3",
            "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1");

    /**
     * The Elastic Load Balancing account of each region opened before August 2022 (Elastic Load
     * Balancing, Application Load Balancers guide, "Enable access logs", "Attach a policy to your S3
     * bucket"). Every other region writes access logs as the service principal
     * {@code logdelivery.elasticloadbalancing.amazonaws.com}.
     */
    static final Map<String, String> ELB_ACCOUNTS = Map.ofEntries(
            Map.entry("us-east-1", "127311923021"), Map.entry("us-east-2", "033677994240"),
            Map.entry("us-west-1", "027434742980"), Map.entry("us-west-2", "797873946194"),
            Map.entry("af-south-1", "098369216593"), Map.entry("ap-east-1", "754344448648"),
            Map.entry("ap-south-1", "718504428378"), Map.entry("ap-northeast-1", "582318560864"),
            Map.entry("ap-northeast-2", "600734575887"), Map.entry("ap-northeast-3", "383597477331"),
            Map.entry("ap-southeast-1", "114774131450"), Map.entry("ap-southeast-2", "783225319266"),
            Map.entry("ap-southeast-3", "589379963580"), Map.entry("ca-central-1", "985666609251"),
            Map.entry("eu-central-1", "054676820928"), Map.entry("eu-west-1", "156460612806"),
            Map.entry("eu-west-2", "652711504416"), Map.entry("eu-west-3", "009996457667"),
            Map.entry("eu-north-1", "897822967062"), Map.entry("eu-south-1", "635631232127"),
            Map.entry("me-south-1", "076674570225"), Map.entry("sa-east-1", "507241528517"));

    /**
     * Regions whose buckets CloudFront standard logging (legacy, to S3) does not deliver to, where a
     * distribution with Logging fails to create. Sources (docs/decisions.md, "Regions"): the
     * CloudFront Developer Guide, "Choosing an Amazon S3 bucket for your standard logs" (af-south-1,
     * ap-east-1, eu-south-1, me-south-1); the regions added to that list by 2024 as copied in
     * aws-samples/bedrock-chat#367 (ap-south-2, ap-southeast-3, ap-southeast-4, ca-west-1, eu-south-2,
     * eu-central-2, il-central-1, me-central-1). The regions opened since (ap-southeast-5, ap-southeast-6,
     * ap-southeast-7, ap-east-2, mx-central-1) are opt-in regions like all of the above, and no source
     * says CloudFront delivers there: they are on this side too (no logs rather than a failed create).
     */
    static final Set<String> NO_CLOUDFRONT_STANDARD_LOGS = Set.of(
            "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
            "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2",
            "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1");

    private static final String ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

    private final CfnTemplate template = CfnTemplate.load();

    private CfnTemplate.Resolver resolver(String region, Map<String, String> parameters) {
        Map<String, String> overrides = new LinkedHashMap<>(parameters);
        overrides.put("AWS::Region", region);
        return new CfnTemplate.Resolver(template, "moodle", overrides,
                Map.of("AccessLogBucket.RegionalDomainName", "logs.s3." + region + ".amazonaws.com"));
    }

    @Test
    void theListHasEveryCommercialRegionTheSdkKnows() {
        Set<String> sdk = new TreeSet<>();
        for (Region r : Region.regions()) {
            RegionMetadata m = r.metadata();
            if (m != null && "aws".equals(m.partition().id()) && !r.isGlobalRegion() && !r.id().contains("fips")) {
                sdk.add(r.id());
            }
        }
        assertThat(sdk).as("commercial regions known to the AWS SDK").isNotEmpty();
        assertThat(COMMERCIAL_REGIONS)
                .as("add a new region to COMMERCIAL_REGIONS and give it a row in the template's RegionLogs mapping")
                .containsAll(sdk);
        assertThat(ELB_ACCOUNTS.keySet()).isSubsetOf(COMMERCIAL_REGIONS);
        assertThat(NO_CLOUDFRONT_STANDARD_LOGS).isSubsetOf(COMMERCIAL_REGIONS);
    }

    /**
     * CloudFormation may resolve an Fn::FindInMap even in the branch of an Fn::If it does not take
     * (docs/decisions.md, "Regions"), so a region-keyed lookup must resolve in every region, whatever
     * condition surrounds it. This finds every lookup keyed by AWS::Region in the template.
     */
    @Test
    void everyRegionKeyedLookupResolvesInEveryCommercialRegion() {
        List<Object> lookups = new ArrayList<>();
        collectRegionLookups(template.section("Resources"), lookups);
        collectRegionLookups(template.section("Conditions"), lookups);
        collectRegionLookups(template.section("Outputs"), lookups);
        assertThat(lookups).as("region-keyed Fn::FindInMap lookups in the template").isNotEmpty();
        List<String> unresolved = new ArrayList<>();
        for (String region : COMMERCIAL_REGIONS) {
            CfnTemplate.Resolver r = resolver(region, Map.of());
            for (Object lookup : lookups) {
                try {
                    r.resolve(lookup);
                } catch (IllegalStateException e) {
                    unresolved.add(region + ": " + lookup);
                }
            }
        }
        assertThat(unresolved).as("lookups CloudFormation would refuse (\"Unable to get mapping\")").isEmpty();
    }

    private static void collectRegionLookups(Object node, List<Object> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.containsKey("Fn::FindInMap")) {
                List<Object> args = CfnTemplate.list(m.get("Fn::FindInMap"));
                if (args.size() > 1 && String.valueOf(args.get(1)).contains("AWS::Region")) {
                    out.add(m);
                }
            }
            m.values().forEach(v -> collectRegionLookups(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectRegionLookups(v, out));
        }
    }

    @Test
    void loadBalancerLogsAreWrittenByTheRegionsAccountOrByTheLogDeliveryService() {
        Map<String, Object> statement = statement("AccessLogBucketPolicy", "LoadBalancerLogs");
        List<String> wrong = new ArrayList<>();
        for (String region : COMMERCIAL_REGIONS) {
            Object principal = deep(resolver(region, Map.of()), statement.get("Principal"));
            Object want = ELB_ACCOUNTS.containsKey(region)
                    ? Map.of("AWS", "arn:aws:iam::" + ELB_ACCOUNTS.get(region) + ":root")
                    : Map.of("Service", ELB_LOG_SERVICE);
            if (!want.equals(principal)) {
                wrong.add(region + ": " + principal + " (want " + want + ")");
            }
        }
        assertThat(wrong).as("LoadBalancerLogs principal per region").isEmpty();
    }

    @Test
    void cloudFrontStandardLoggingOnlyWhereCloudFrontDeliversToTheRegionsBuckets() {
        Object logging = CfnTemplate.map(template.properties("CdnDistribution").get("DistributionConfig")).get("Logging");
        assertThat(logging).as("CdnDistribution DistributionConfig.Logging").isNotNull();
        List<String> wrong = new ArrayList<>();
        for (String region : COMMERCIAL_REGIONS) {
            boolean delivers = !NO_CLOUDFRONT_STANDARD_LOGS.contains(region);
            CfnTemplate.Resolver withCdn = resolver(region, Map.of("EnableCdn", "true"));
            if (withCdn.condition("CdnLogging") != delivers) {
                wrong.add(region + ": CdnLogging " + withCdn.condition("CdnLogging"));
            }
            Object resolved = deep(withCdn, logging);
            boolean configured = resolved instanceof Map<?, ?> m && m.containsKey("Bucket");
            if (configured != delivers) {
                wrong.add(region + ": Logging " + resolved);
            }
            if (resolver(region, Map.of("EnableCdn", "false")).condition("CdnLogging")) {
                wrong.add(region + ": CdnLogging without a CDN");
            }
        }
        assertThat(wrong).as("CloudFront standard logging per region (on exactly where CloudFront delivers)").isEmpty();
    }

    private Map<String, Object> statement(String resource, String sid) {
        Map<String, Object> doc = CfnTemplate.map(template.properties(resource).get("PolicyDocument"));
        for (Object s : CfnTemplate.list(doc.get("Statement"))) {
            if (sid.equals(CfnTemplate.map(s).get("Sid"))) {
                return CfnTemplate.map(s);
            }
        }
        throw new AssertionError(resource + " has no statement " + sid);
    }

    /** Resolves intrinsic functions at every depth (the resolver itself stops at plain maps and lists). */
    static Object deep(CfnTemplate.Resolver r, Object node) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1) {
                String key = String.valueOf(m.keySet().iterator().next());
                if (key.equals("Ref") || key.startsWith("Fn::")) {
                    Object v = r.resolve(node);
                    return v == node ? node : deep(r, v);
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), deep(r, v)));
            return out;
        }
        if (node instanceof List<?> l) {
            return l.stream().map(v -> deep(r, v)).toList();
        }
        return node;
    }
}
