package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The InstallDetector probes the site's login page at SITE_URL from inside the VPC: its security
 * group lets that probe out on the site's port, and only then (review B7: an HTTP site was
 * unreachable, every probe a 3 s connect timeout).
 */
class DetectorProbeEgressTest {
    private final CfnTemplate template = CfnTemplate.load();

    private static final List<Map<String, String>> SITES = List.of(
            Map.of(),
            Map.of("DomainName", "moodle.example.edu"),
            Map.of("DomainName", "moodle.example.edu", "AlbCertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/a"),
            Map.of("EnableCdn", "true"),
            Map.of("EnableCdn", "true", "DomainName", "moodle.example.edu",
                    "CdnCertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/c"));

    private static boolean opens(Map<String, Object> rule, int port) {
        String protocol = String.valueOf(rule.get("IpProtocol"));
        if (protocol.equals("-1")) {
            return true;
        }
        int from = Integer.parseInt(String.valueOf(rule.get("FromPort")));
        int to = Integer.parseInt(String.valueOf(rule.get("ToPort")));
        return protocol.equals("tcp") && from <= port && port <= to;
    }

    @Test
    void theDetectorMayReachTheSitesPortAndNoOtherWebPort() {
        List<String> wrong = new ArrayList<>();
        for (Map<String, String> site : SITES) {
            CfnTemplate.Resolver r = new CfnTemplate.Resolver(template, "moodle", site, Map.of(
                    "LoadBalancer.DNSName", "moodle-alb-1.eu-west-1.elb.amazonaws.com",
                    "CdnDistribution.DomainName", "d111111abcdef8.cloudfront.net"));
            String url = r.string(CfnTemplate.map(CfnTemplate.map(template.properties("InstallDetectorFunction")
                    .get("Environment")).get("Variables")).get("SITE_URL"));
            int port = url.startsWith("https://") ? 443 : 80;
            Object egress = RegionCoverageTest.deep(r, template.properties("InstallDetectorSecurityGroup").get("SecurityGroupEgress"));
            List<Map<String, Object>> rules = new ArrayList<>(CfnTemplate.list(egress).stream()
                    .filter(x -> x instanceof Map<?, ?>).map(CfnTemplate::map).toList());
            // Egress rules of their own (AWS::EC2::SecurityGroupEgress) on the group, where their condition holds.
            template.section("Resources").forEach((id, body) -> {
                Map<String, Object> res = CfnTemplate.map(body);
                Map<String, Object> props = CfnTemplate.map(res.get("Properties"));
                boolean onGroup = String.valueOf(props.get("GroupId")).contains("InstallDetectorSecurityGroup");
                boolean exists = !res.containsKey("Condition") || r.condition(String.valueOf(res.get("Condition")));
                if ("AWS::EC2::SecurityGroupEgress".equals(res.get("Type")) && onGroup && exists && props.containsKey("CidrIp")) {
                    rules.add(props);
                }
            });
            boolean probeOut = rules.stream().anyMatch(x -> opens(x, port) && "0.0.0.0/0".equals(x.get("CidrIp")));
            boolean port80 = rules.stream().anyMatch(x -> opens(x, 80));
            if (!probeOut) {
                wrong.add(site + ": " + url + " but no egress on " + port);
            }
            if (port == 443 && port80) {
                wrong.add(site + ": " + url + " yet egress on 80");
            }
        }
        assertThat(wrong).isEmpty();
    }
}
