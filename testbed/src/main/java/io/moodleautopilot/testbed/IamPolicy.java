package io.moodleautopilot.testbed;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The statements of one function's or role's policy, resolved for a test stack, and the two checks of
 * the least-privilege proof: every recorded call is allowed on its resources, and every granted
 * action was used by some recorded call.
 *
 * <p>A statement names its resources with Resource or, for a Deny, NotResource (every resource but
 * those). Conditions are read for the operators {@link #CONDITION_OPERATORS} only: a condition
 * matches when the request's context holds the key with a matching value, so a request without the
 * key matches no conditioned statement, Allow or Deny (IAM's rule for these operators). Policies
 * read by {@link CfnTemplate#functionPolicy} carry no conditions, as before.
 */
public record IamPolicy(List<Statement> statements) {

    /** The condition operators the evaluator understands; CfnTemplate refuses any other. */
    public static final Set<String> CONDITION_OPERATORS = Set.of("StringEquals", "StringLike");

    /**
     * @param conditions operator to condition key to the values any of which matches
     */
    public record Statement(String effect, List<String> actions, List<String> resources, List<String> notResources,
                            Map<String, Map<String, List<String>>> conditions) {

        public Statement(String effect, List<String> actions, List<String> resources) {
            this(effect, actions, resources, List.of(), Map.of());
        }

        boolean matches(String action, String resource, Map<String, String> context) {
            boolean onResource = notResources.isEmpty()
                    ? resources.stream().anyMatch(r -> wildcard(r, resource, false))
                    : notResources.stream().noneMatch(r -> wildcard(r, resource, false));
            return actions.stream().anyMatch(a -> wildcard(a, action, true)) && onResource && conditionsHold(context);
        }

        private boolean conditionsHold(Map<String, String> context) {
            for (Map.Entry<String, Map<String, List<String>>> op : conditions.entrySet()) {
                for (Map.Entry<String, List<String>> c : op.getValue().entrySet()) {
                    // Condition keys are case-insensitive; values are compared as the operator says.
                    String value = context.entrySet().stream()
                            .filter(e -> e.getKey().equalsIgnoreCase(c.getKey()))
                            .map(Map.Entry::getValue).findFirst().orElse(null);
                    if (value == null) {
                        return false;
                    }
                    boolean any = switch (op.getKey()) {
                        case "StringEquals" -> c.getValue().contains(value);
                        case "StringLike" -> c.getValue().stream().anyMatch(v -> wildcard(v, value, false));
                        default -> throw new IllegalStateException("condition operator " + op.getKey()
                                + " is not one the evaluator reads " + CONDITION_OPERATORS);
                    };
                    if (!any) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    public boolean allows(String action, String resource) {
        return allows(action, resource, Map.of());
    }

    /** Whether a request for action on resource, with these condition keys and values, is allowed. */
    public boolean allows(String action, String resource, Map<String, String> context) {
        boolean allowed = false;
        for (Statement s : statements) {
            boolean matches = s.matches(action, resource, context);
            if (matches && s.effect().equals("Deny")) {
                return false;
            }
            allowed |= matches && s.effect().equals("Allow");
        }
        return allowed;
    }

    /** Whether some Allow statement names the action (by a pattern or itself), on whatever resource. */
    public boolean grantsAction(String action) {
        return statements.stream().filter(s -> s.effect().equals("Allow"))
                .anyMatch(s -> s.actions().stream().anyMatch(a -> wildcard(a, action, true)));
    }

    /** Calls the policy does not allow, as "action on resource". */
    public List<String> violations(List<RecordedCall> calls) {
        List<String> out = new ArrayList<>();
        for (RecordedCall c : calls) {
            for (String r : c.resources()) {
                if (!allows(c.action(), r)) {
                    out.add(c.action() + " on " + r);
                }
            }
        }
        return out;
    }

    /** Granted action patterns that no recorded call used. */
    public Set<String> unusedActions(List<RecordedCall> calls) {
        Set<String> unused = new LinkedHashSet<>();
        for (Statement s : statements) {
            for (String a : s.actions()) {
                if (calls.stream().noneMatch(c -> wildcard(a, c.action(), true))) {
                    unused.add(a);
                }
            }
        }
        return unused;
    }

    /** Resources granted as "*", which the proof reports so each one is a conscious choice. */
    public Set<String> actionsOnAnyResource() {
        Set<String> out = new LinkedHashSet<>();
        statements.stream().filter(s -> s.resources().contains("*")).forEach(s -> out.addAll(s.actions()));
        return out;
    }

    static boolean wildcard(String pattern, String value, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char ch : pattern.toCharArray()) {
            switch (ch) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        int flags = Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
        return Pattern.compile(regex.toString(), flags).matcher(value).matches();
    }
}
