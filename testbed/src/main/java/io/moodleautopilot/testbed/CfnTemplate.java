package io.moodleautopilot.testbed;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * template.yaml as data, with CloudFormation's short-form tags read as their long forms and a small
 * resolver for the intrinsic functions the tests need (Ref, Sub, GetAtt, Join, If with simple
 * conditions). The tests use it to run each function with the environment and the IAM policy the
 * template really declares.
 */
public final class CfnTemplate {
    private final Map<String, Object> root;

    private CfnTemplate(Map<String, Object> root) {
        this.root = root;
    }

    public static Path repositoryRoot() {
        String configured = System.getProperty("autopilot.root");
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("template.yaml")) && Files.exists(p.resolve("events"))) {
                return p;
            }
        }
        throw new IllegalStateException("repository root (with template.yaml) not found from " + start);
    }

    public static CfnTemplate load() {
        return load(repositoryRoot().resolve("template.yaml"));
    }

    @SuppressWarnings("unchecked")
    public static CfnTemplate load(Path file) {
        try (Reader r = Files.newBufferedReader(file)) {
            return new CfnTemplate((Map<String, Object>) new Yaml(new CfnConstructor()).load(r));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, Object> section(String name) {
        return map(root.getOrDefault(name, Map.of()));
    }

    public Map<String, Object> resource(String logicalId) {
        Object r = section("Resources").get(logicalId);
        if (r == null) {
            throw new IllegalArgumentException("template has no resource " + logicalId);
        }
        return map(r);
    }

    public Map<String, Object> properties(String logicalId) {
        return map(resource(logicalId).getOrDefault("Properties", Map.of()));
    }

    /** Parameter defaults, as strings. */
    public Map<String, String> parameterDefaults() {
        Map<String, String> out = new LinkedHashMap<>();
        section("Parameters").forEach((k, v) -> {
            Object d = map(v).get("Default");
            if (d != null) {
                out.put(k, String.valueOf(d));
            }
        });
        return out;
    }

    /** The function's environment: Globals first, then the function's own variables, resolved. */
    public Map<String, String> functionEnvironment(String logicalId, Resolver resolver) {
        Map<String, String> env = new LinkedHashMap<>();
        Map<String, Object> globals = map(map(section("Globals").getOrDefault("Function", Map.of()))
                .getOrDefault("Environment", Map.of()));
        map(globals.getOrDefault("Variables", Map.of())).forEach((k, v) -> env.put(k, resolver.string(v)));
        Map<String, Object> own = map(properties(logicalId).getOrDefault("Environment", Map.of()));
        map(own.getOrDefault("Variables", Map.of())).forEach((k, v) -> env.put(k, resolver.string(v)));
        return env;
    }

    public IamPolicy functionPolicy(String logicalId, Resolver resolver) {
        List<IamPolicy.Statement> statements = new ArrayList<>();
        for (Object policy : list(properties(logicalId).getOrDefault("Policies", List.of()))) {
            if (!(policy instanceof Map<?, ?> doc) || !doc.containsKey("Statement")) {
                throw new IllegalStateException(logicalId + " uses a policy the proof cannot read: " + policy
                        + " (write statements inline)");
            }
            for (Object raw : list(doc.get("Statement"))) {
                Object s = resolver.resolve(raw);
                if (!(s instanceof Map<?, ?>) || map(s).isEmpty()) {
                    continue; // a statement left out by !If [..., !Ref AWS::NoValue]
                }
                Map<String, Object> st = map(s);
                statements.add(new IamPolicy.Statement(
                        String.valueOf(st.get("Effect")),
                        strings(st.get("Action"), resolver),
                        strings(st.get("Resource"), resolver)));
            }
        }
        return new IamPolicy(statements);
    }

    /**
     * An AWS::IAM::Role's permissions: its inline policies (Policies[].PolicyDocument), with
     * NotResource and the conditions IamPolicy reads, and its ManagedPolicyArns as
     * AwsManagedPolicies knows them. A statement the evaluator cannot read (NotAction, another
     * condition operator, an unknown managed policy) fails the call rather than being left out.
     */
    public IamPolicy rolePolicy(String logicalId, Resolver resolver) {
        List<IamPolicy.Statement> statements = new ArrayList<>();
        for (String arn : managedPolicyArns(logicalId, resolver)) {
            statements.addAll(AwsManagedPolicies.statements(arn));
        }
        for (Object policy : list(resolver.resolve(properties(logicalId).getOrDefault("Policies", List.of())))) {
            Map<String, Object> document = map(map(resolver.resolve(policy)).get("PolicyDocument"));
            if (!document.containsKey("Statement")) {
                throw new IllegalStateException(logicalId + " has a policy the proof cannot read: " + policy);
            }
            for (Object raw : list(resolver.resolve(document.get("Statement")))) {
                Object s = resolver.resolve(raw);
                if (!(s instanceof Map<?, ?>) || map(s).isEmpty()) {
                    continue; // a statement left out by !If [..., !Ref AWS::NoValue]
                }
                Map<String, Object> st = map(s);
                if (st.containsKey("NotAction") || st.containsKey("NotPrincipal")) {
                    throw new IllegalStateException(logicalId + ": the proof does not read NotAction/NotPrincipal: " + st);
                }
                statements.add(new IamPolicy.Statement(
                        String.valueOf(st.get("Effect")),
                        resolvedStrings(st.get("Action"), resolver),
                        st.containsKey("Resource") ? resolvedStrings(st.get("Resource"), resolver) : List.of(),
                        st.containsKey("NotResource") ? resolvedStrings(st.get("NotResource"), resolver) : List.of(),
                        conditions(logicalId, st.get("Condition"), resolver)));
            }
        }
        return new IamPolicy(statements);
    }

    /** An AWS::IAM::Role's ManagedPolicyArns, resolved. */
    public List<String> managedPolicyArns(String logicalId, Resolver resolver) {
        return list(resolver.resolve(properties(logicalId).getOrDefault("ManagedPolicyArns", List.of()))).stream()
                .map(resolver::string).toList();
    }

    private static Map<String, Map<String, List<String>>> conditions(String logicalId, Object node, Resolver resolver) {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        map(resolver.resolve(node)).forEach((operator, keys) -> {
            if (!IamPolicy.CONDITION_OPERATORS.contains(operator)) {
                throw new IllegalStateException(logicalId + ": condition operator " + operator
                        + " is not one the proof reads " + IamPolicy.CONDITION_OPERATORS);
            }
            Map<String, List<String>> values = new LinkedHashMap<>();
            map(keys).forEach((key, value) -> values.put(key, resolvedStrings(value, resolver)));
            out.put(operator, values);
        });
        return out;
    }

    /** A value or list of values, with an Fn::If that chooses a whole list resolved first. */
    private static List<String> resolvedStrings(Object node, Resolver resolver) {
        Object v = resolver.resolve(node);
        if (v instanceof List<?> l) {
            // An element that is !Ref AWS::NoValue (through an !If) is not in the list CloudFormation sends.
            return l.stream().map(resolver::string).filter(s -> !s.isEmpty()).toList();
        }
        return List.of(resolver.string(v));
    }

    private static List<String> strings(Object node, Resolver resolver) {
        if (node instanceof List<?> l) {
            return l.stream().map(resolver::string).toList();
        }
        return List.of(resolver.string(node));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<Object> list(Object o) {
        return o instanceof List<?> l ? new ArrayList<>(l) : List.of();
    }

    /**
     * The names of the template's Rules that refuse these parameters, once per failed assertion
     * (empty: CloudFormation accepts them), evaluated as CloudFormation does before it creates anything.
     */
    public List<String> refusedRules(Resolver resolver) {
        List<String> out = new ArrayList<>();
        section("Rules").forEach((name, body) -> {
            Map<String, Object> rule = map(body);
            if (!rule.containsKey("RuleCondition") || ruleHolds(resolver, rule.get("RuleCondition"))) {
                for (Object a : list(rule.get("Assertions"))) {
                    if (!ruleHolds(resolver, map(a).get("Assert"))) {
                        out.add(name);
                    }
                }
            }
        });
        return out;
    }

    /** A rule function (Fn::Equals, Fn::Not, Fn::And, Fn::Or over parameters). */
    private static boolean ruleHolds(Resolver r, Object node) {
        Map<String, Object> m = map(node);
        if (m.containsKey("Fn::Equals")) {
            List<Object> a = list(m.get("Fn::Equals"));
            return r.string(a.get(0)).equals(r.string(a.get(1)));
        }
        if (m.containsKey("Fn::Not")) {
            return !ruleHolds(r, list(m.get("Fn::Not")).get(0));
        }
        if (m.containsKey("Fn::And")) {
            return list(m.get("Fn::And")).stream().allMatch(x -> ruleHolds(r, x));
        }
        if (m.containsKey("Fn::Or")) {
            return list(m.get("Fn::Or")).stream().anyMatch(x -> ruleHolds(r, x));
        }
        throw new IllegalStateException("cannot evaluate rule function " + node);
    }

    /** Resolves intrinsic functions against parameter values, resource names and pseudo parameters. */
    public static final class Resolver {
        private static final Pattern SUB = Pattern.compile("\\$\\{([^}!][^}]*)}");
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Map<String, Object> conditions;
        private final Map<String, Object> mappings;
        private final CfnTemplate template;

        public Resolver(CfnTemplate template, String stackName, Map<String, String> parameterOverrides,
                        Map<String, String> resourceNames) {
            values.put("AWS::Region", MotoServer.REGION);
            values.put("AWS::AccountId", MotoServer.ACCOUNT);
            values.put("AWS::Partition", "aws");
            values.put("AWS::StackName", stackName);
            values.put("AWS::URLSuffix", "amazonaws.com");
            values.put("AWS::NoValue", "");
            values.putAll(template.parameterDefaults());
            values.putAll(parameterOverrides);
            values.putAll(resourceNames);
            this.template = template;
            this.conditions = template.section("Conditions");
            this.mappings = template.section("Mappings");
        }

        public String string(Object node) {
            Object v = resolve(node);
            return v == null ? "" : String.valueOf(v);
        }

        public Object resolve(Object node) {
            if (!(node instanceof Map<?, ?> m) || m.size() != 1) {
                return node;
            }
            String fn = String.valueOf(m.keySet().iterator().next());
            Object arg = m.values().iterator().next();
            return switch (fn) {
                case "Ref" -> lookup(String.valueOf(arg));
                case "Fn::GetAtt" -> lookup(arg instanceof List<?> l ? l.get(0) + "." + l.get(1) : String.valueOf(arg));
                case "Fn::Sub" -> sub(arg);
                case "Fn::Join" -> {
                    List<Object> a = list(arg);
                    yield String.join(String.valueOf(a.get(0)), list(resolve(a.get(1))).stream().map(this::string).toList());
                }
                case "Fn::FindInMap" -> {
                    List<Object> a = list(arg);
                    Object v = map(map(mappings.get(string(a.get(0)))).get(string(a.get(1)))).get(string(a.get(2)));
                    if (v == null) {
                        throw new IllegalStateException("no mapping value for " + a);
                    }
                    yield String.valueOf(v);
                }
                case "Fn::If" -> {
                    List<Object> a = list(arg);
                    yield resolve(condition(String.valueOf(a.get(0))) ? a.get(1) : a.get(2));
                }
                default -> node;
            };
        }

        private String lookup(String name) {
            String v = values.get(name);
            if (v == null && name.endsWith(".Value")) {
                // A String parameter of the template's own: its GetAtt Value is what its Value property resolves to.
                String logical = name.substring(0, name.length() - ".Value".length());
                Map<String, Object> res = template.section("Resources").containsKey(logical) ? template.resource(logical) : Map.of();
                if ("AWS::SSM::Parameter".equals(res.get("Type"))) {
                    return string(map(res.get("Properties")).get("Value"));
                }
            }
            if (v == null) {
                throw new IllegalStateException("no value for " + name + ": pass it as a parameter or resource name");
            }
            return v;
        }

        private String sub(Object arg) {
            String text;
            Map<String, Object> vars = Map.of();
            if (arg instanceof List<?> l) {
                text = String.valueOf(l.get(0));
                vars = map(l.get(1));
            } else {
                text = String.valueOf(arg);
            }
            Matcher m = SUB.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String key = m.group(1);
                String value = vars.containsKey(key) ? string(vars.get(key)) : lookup(key);
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }

        boolean condition(String name) {
            return truthy(conditions.get(name));
        }

        private boolean truthy(Object node) {
            Map<String, Object> m = map(node);
            if (m.containsKey("Fn::Equals")) {
                List<Object> a = list(m.get("Fn::Equals"));
                return string(a.get(0)).equals(string(a.get(1)));
            }
            if (m.containsKey("Fn::Not")) {
                return !truthy(list(m.get("Fn::Not")).get(0));
            }
            if (m.containsKey("Fn::And")) {
                return list(m.get("Fn::And")).stream().allMatch(this::truthy);
            }
            if (m.containsKey("Fn::Or")) {
                return list(m.get("Fn::Or")).stream().anyMatch(this::truthy);
            }
            if (m.containsKey("Condition")) {
                return condition(String.valueOf(m.get("Condition")));
            }
            throw new IllegalStateException("cannot evaluate condition " + node);
        }
    }

    /** Reads !Ref, !Sub, !GetAtt and friends as {"Ref": ...}, {"Fn::Sub": ...}, ... */
    private static final class CfnConstructor extends SafeConstructor {
        CfnConstructor() {
            super(new LoaderOptions());
            for (String fn : List.of("Ref", "Condition")) {
                yamlConstructors.put(new Tag("!" + fn), new Intrinsic(fn));
            }
            for (String fn : List.of("Sub", "GetAtt", "Join", "If", "Equals", "Not", "And", "Or", "Select",
                    "Split", "FindInMap", "ImportValue", "Base64", "GetAZs", "Cidr", "ToJsonString", "Length")) {
                yamlConstructors.put(new Tag("!" + fn), new Intrinsic("Fn::" + fn));
            }
        }

        private final class Intrinsic extends AbstractConstruct {
            private final String name;

            Intrinsic(String name) {
                this.name = name;
            }

            @Override
            public Object construct(Node node) {
                Object value;
                if (node instanceof ScalarNode s) {
                    value = s.getValue();
                    if (name.equals("Fn::GetAtt")) {
                        String[] parts = s.getValue().split("\\.", 2);
                        value = List.of(parts[0], parts[1]);
                    }
                } else if (node instanceof SequenceNode s) {
                    value = constructSequence(s);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                return Map.of(name, value);
            }
        }
    }
}
