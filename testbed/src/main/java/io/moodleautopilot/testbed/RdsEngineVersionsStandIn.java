package io.moodleautopilot.testbed;

import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Covers a moto 5.2.1 gap: RDS DescribeDBEngineVersions answers HTTP 500 for Aurora engines. This
 * stand-in answers it in the RDS query protocol from the versions a test says the region offers,
 * filtered as RDS filters them (Engine, EngineVersion, DBParameterGroupFamily).
 */
public final class RdsEngineVersionsStandIn implements StandIn {
    private static final String NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/";

    /** One offered version; serverless v2 capacity range as RDS reports it (ServerlessV2FeaturesSupport). */
    public record Offered(String engine, String version, String family, double minCapacity, double maxCapacity) {
    }

    private final List<Offered> offered = new CopyOnWriteArrayList<>();

    public RdsEngineVersionsStandIn offer(String engine, String version, String family) {
        return offer(new Offered(engine, version, family, 0, 256));
    }

    public RdsEngineVersionsStandIn offer(Offered version) {
        offered.add(version);
        return this;
    }

    public void reset() {
        offered.clear();
    }

    @Override
    public boolean handles(String operation, Request request) {
        return operation.equals("DescribeDBEngineVersions");
    }

    @Override
    public ResponseDefinition answer(String operation, Request request) {
        Map<String, String> form = QueryAnswers.form(request);
        StringBuilder out = new StringBuilder("<DBEngineVersions>");
        for (Offered o : offered) {
            if (matches(form.get("Engine"), o.engine()) && matches(form.get("EngineVersion"), o.version())
                    && matches(form.get("DBParameterGroupFamily"), o.family())) {
                out.append("<DBEngineVersion>")
                        .append(QueryAnswers.element("Engine", o.engine()))
                        .append(QueryAnswers.element("EngineVersion", o.version()))
                        .append(QueryAnswers.element("DBParameterGroupFamily", o.family()))
                        .append(QueryAnswers.element("Status", "available"))
                        .append("<SupportedEngineModes><member>provisioned</member></SupportedEngineModes>")
                        .append("<ServerlessV2FeaturesSupport>")
                        .append(QueryAnswers.element("MinCapacity", o.minCapacity()))
                        .append(QueryAnswers.element("MaxCapacity", o.maxCapacity()))
                        .append("</ServerlessV2FeaturesSupport>")
                        .append("</DBEngineVersion>");
            }
        }
        out.append("</DBEngineVersions>");
        return QueryAnswers.ok("DescribeDBEngineVersions", NAMESPACE, out.toString());
    }

    private static boolean matches(String filter, String value) {
        return filter == null || filter.isEmpty() || filter.equals(value);
    }
}
