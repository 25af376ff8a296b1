package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Covers a moto 5.2.1 gap: ElastiCache DescribeCacheEngineVersions and DescribeServerlessCaches
 * answer HTTP 500. This stand-in answers both in the ElastiCache query protocol: the engine versions
 * a test says the region offers, and an empty list of serverless caches (or, where a test says the
 * region has no ElastiCache Serverless, the error the service gives for an unknown operation).
 */
public final class ElastiCacheOfferingsStandIn implements StandIn {
    private static final String NAMESPACE = "http://elasticache.amazonaws.com/doc/2015-02-02/";

    private final Map<String, List<String>> engines = new ConcurrentHashMap<>();
    private final AtomicBoolean serverless = new AtomicBoolean(true);

    /** The region offers this engine (valkey, redis, memcached) in these versions. */
    public ElastiCacheOfferingsStandIn offer(String engine, String... versions) {
        engines.put(engine, List.of(versions));
        return this;
    }

    public ElastiCacheOfferingsStandIn serverless(boolean offered) {
        serverless.set(offered);
        return this;
    }

    public void reset() {
        engines.clear();
        serverless.set(true);
    }

    @Override
    public boolean handles(String operation, Request request) {
        return operation.equals("DescribeCacheEngineVersions") || operation.equals("DescribeServerlessCaches");
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        if (operation.equals("DescribeServerlessCaches")) {
            if (!serverless.get()) {
                return new ResponseDefinitionBuilder().withStatus(400).withHeader("Content-Type", "text/xml")
                        .withBody("<ErrorResponse xmlns=\"" + NAMESPACE + "\"><Error><Type>Sender</Type>"
                                + "<Code>InvalidAction</Code><Message>The action DescribeServerlessCaches is not valid "
                                + "for this web service.</Message></Error><RequestId>0</RequestId></ErrorResponse>")
                        .build();
            }
            return QueryAnswers.ok(operation, NAMESPACE, "<ServerlessCaches/>");
        }
        String wanted = QueryAnswers.form(request).get("Engine");
        StringBuilder out = new StringBuilder("<CacheEngineVersions>");
        engines.forEach((engine, versions) -> {
            if (wanted == null || wanted.isEmpty() || wanted.equals(engine)) {
                for (String v : versions) {
                    out.append("<CacheEngineVersion>")
                            .append(QueryAnswers.element("Engine", engine))
                            .append(QueryAnswers.element("EngineVersion", v))
                            .append(QueryAnswers.element("CacheParameterGroupFamily", engine + v.split("\\.")[0]))
                            .append("</CacheEngineVersion>");
                }
            }
        });
        out.append("</CacheEngineVersions>");
        return QueryAnswers.ok(operation, NAMESPACE, out.toString());
    }
}
