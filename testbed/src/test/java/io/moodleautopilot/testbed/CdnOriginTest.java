package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CloudFront in front of the load balancer: every parameter combination the template accepts
 * (its Rules) gives a site that answers, and no combination makes CloudFront and the load balancer
 * redirect each other forever (review B6).
 */
class CdnOriginTest {
    private static final String ALB_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/alb";
    private static final String CDN_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/cdn";
    private static final String DOMAIN = "moodle.example.edu";

    private final CfnTemplate template = CfnTemplate.load();

    /** One choice of the four parameters that decide how CloudFront reaches the load balancer. */
    record Site(boolean cdn, boolean albCert, boolean domain, boolean cdnCert) {
        Map<String, String> parameters() {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("EnableCdn", String.valueOf(cdn));
            p.put("AlbCertificateArn", albCert ? ALB_CERT : "");
            p.put("DomainName", domain ? DOMAIN : "");
            p.put("HostedZoneId", domain ? "Z0123456789ABCDEFGHIJ" : "");
            p.put("CdnCertificateArn", cdnCert ? CDN_CERT : "");
            return p;
        }

        @Override
        public String toString() {
            return parameters().toString();
        }
    }

    private static List<Site> everySite() {
        List<Site> out = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            out.add(new Site((i & 1) != 0, (i & 2) != 0, (i & 4) != 0, (i & 8) != 0));
        }
        return out;
    }

    private CfnTemplate.Resolver resolver(Site site) {
        return new CfnTemplate.Resolver(template, "moodle", site.parameters(), Map.of(
                "LoadBalancer.DNSName", "moodle-alb-1.eu-west-1.elb.amazonaws.com",
                "CdnDistribution.DomainName", "d111111abcdef8.cloudfront.net",
                "WebTargetGroup", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1"));
    }

    /** The rule names the template refuses this site with (empty: accepted). */
    private List<String> refusals(Site site) {
        return template.refusedRules(resolver(site));
    }

    private String originProtocol(CfnTemplate.Resolver r) {
        Map<String, Object> config = CfnTemplate.map(template.properties("CdnDistribution").get("DistributionConfig"));
        Map<String, Object> origin = CfnTemplate.map(CfnTemplate.list(config.get("Origins")).get(0));
        return r.string(CfnTemplate.map(origin.get("CustomOriginConfig")).get("OriginProtocolPolicy"));
    }

    private String port80Action(CfnTemplate.Resolver r) {
        Object actions = r.resolve(template.properties("HttpListener").get("DefaultActions"));
        return String.valueOf(CfnTemplate.map(CfnTemplate.list(actions).get(0)).get("Type"));
    }

    @Test
    void noAcceptedSiteHasCloudFrontAndTheLoadBalancerRedirectingEachOther() {
        List<String> loops = new ArrayList<>();
        for (Site site : everySite()) {
            if (!site.cdn() || !refusals(site).isEmpty()) {
                continue;
            }
            CfnTemplate.Resolver r = resolver(site);
            if (originProtocol(r).equals("http-only") && port80Action(r).equals("redirect")) {
                loops.add(site.toString());
            }
        }
        assertThat(loops).as("accepted sites where CloudFront speaks HTTP to a port 80 that redirects to HTTPS").isEmpty();
    }

    /** Port 80 redirects to HTTPS only where the site's address is HTTPS (else Moodle sends it back). */
    @Test
    void noAcceptedSiteRedirectsAwayFromItsOwnAddress() {
        List<String> wrong = new ArrayList<>();
        for (Site site : everySite()) {
            if (!refusals(site).isEmpty()) {
                continue;
            }
            CfnTemplate.Resolver r = resolver(site);
            String siteUrl = r.string(CfnTemplate.map(template.section("Outputs").get("SiteUrl")).get("Value"));
            if (port80Action(r).equals("redirect") && !siteUrl.startsWith("https://")) {
                wrong.add(site + ": port 80 redirects to HTTPS, the site is " + siteUrl);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** With CloudFront and a domain, the site is https://DomainName: only CloudFront with a certificate can serve it. */
    @Test
    void anAcceptedCdnSiteWithADomainIsServedByCloudFrontUnderThatDomain() {
        List<String> wrong = new ArrayList<>();
        for (Site site : everySite()) {
            if (!site.cdn() || !site.domain() || !refusals(site).isEmpty()) {
                continue;
            }
            CfnTemplate.Resolver r = resolver(site);
            Object aliases = RegionCoverageTest.deep(r, CfnTemplate.map(template.properties("CdnDistribution").get("DistributionConfig")).get("Aliases"));
            if (!CfnTemplate.list(aliases).contains(DOMAIN)) {
                wrong.add(site + ": aliases " + aliases);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /**
     * Review C, "Unrestricted origin": with CloudFront in front and CloudFront's origin-facing managed
     * prefix list given, the load balancer admits CloudFront only, on the one port CloudFront uses.
     */
    @Test
    void withThePrefixListTheLoadBalancerAdmitsOnlyCloudFrontOnTheOriginPort() {
        String prefixList = "pl-3b927c52";
        assertThat(template.section("Parameters")).containsKey("CdnOriginPrefixListId");
        List<String> wrong = new ArrayList<>();
        for (Site site : everySite()) {
            if (!refusals(site).isEmpty()) {
                continue;
            }
            for (boolean restricted : List.of(false, true)) {
                Map<String, String> p = new LinkedHashMap<>(site.parameters());
                p.put("CdnOriginPrefixListId", restricted ? prefixList : "");
                CfnTemplate.Resolver r = new CfnTemplate.Resolver(template, "moodle", p, Map.of());
                List<Map<String, Object>> ingress = CfnTemplate.list(RegionCoverageTest.deep(r,
                        template.properties("LoadBalancerSecurityGroup").get("SecurityGroupIngress"))).stream()
                        .filter(x -> x instanceof Map<?, ?>).map(CfnTemplate::map).toList();
                if (site.cdn() && restricted) {
                    String port = originProtocol(resolver(site)).equals("https-only") ? "443" : "80";
                    boolean onlyCloudFront = ingress.size() == 1
                            && prefixList.equals(ingress.get(0).get("SourcePrefixListId"))
                            && port.equals(String.valueOf(ingress.get(0).get("FromPort")))
                            && port.equals(String.valueOf(ingress.get(0).get("ToPort")));
                    if (!onlyCloudFront) {
                        wrong.add(site + ": " + ingress + " (want CloudFront's prefix list on " + port + " only)");
                    }
                } else if (ingress.stream().noneMatch(x -> "0.0.0.0/0".equals(x.get("CidrIp")))) {
                    wrong.add(site + " restricted=" + restricted + ": " + ingress + " (the site is public)");
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theSamconfigEnvironmentsPassTheRules() throws java.io.IOException {
        Map<String, List<String>> overrides = TemplateRulesTest.parameterOverrides(
                java.nio.file.Files.readAllLines(CfnTemplate.repositoryRoot().resolve("samconfig.toml")));
        assertThat(overrides).isNotEmpty();
        overrides.forEach((table, entries) -> {
            Map<String, String> p = new LinkedHashMap<>();
            entries.forEach(e -> p.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
            List<String> refused = template.refusedRules(new CfnTemplate.Resolver(template, "moodle", p, Map.of()));
            assertThat(refused).as("rules refusing samconfig.toml [%s]", table).isEmpty();
        });
    }

    @Test
    void theRulesRefuseOnlyTheSitesThatCannotWork() {
        List<Site> mustAccept = List.of(
                new Site(false, false, false, false), new Site(false, false, true, false), new Site(false, true, true, false),
                new Site(true, false, false, false), new Site(true, false, true, true), new Site(true, true, true, true));
        // An ALB certificate without a domain: port 80 redirects to https://<load balancer name>, which
        // neither matches the certificate nor Moodle's wwwroot (http://<load balancer name>).
        List<Site> mustRefuse = List.of(
                new Site(false, true, false, false), new Site(true, true, false, false), new Site(true, true, false, true),
                new Site(true, true, true, false), new Site(true, false, true, false));
        mustAccept.forEach(s -> assertThat(refusals(s)).as("refusals of %s", s).isEmpty());
        mustRefuse.forEach(s -> assertThat(refusals(s)).as("refusals of %s", s).isNotEmpty());
        template.section("Rules").forEach((name, body) -> {
            if (name.startsWith("Alb") || name.startsWith("Cdn")) {
                CfnTemplate.list(CfnTemplate.map(body).get("Assertions")).forEach(a -> assertThat(String.valueOf(
                        CfnTemplate.map(a).get("AssertDescription"))).as("%s AssertDescription", name)
                        .contains("DomainName").hasSizeGreaterThan(60));
            }
        });
    }
}
