package io.moodleautopilot.testbed;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Allow statements of one function's policy, resolved for a test stack, and the two checks of
 * the least-privilege proof: every recorded call is allowed on its resources, and every granted
 * action was used by some recorded call.
 */
public record IamPolicy(List<Statement> statements) {

    public record Statement(String effect, List<String> actions, List<String> resources) {
    }

    public boolean allows(String action, String resource) {
        boolean allowed = false;
        for (Statement s : statements) {
            boolean matches = s.actions().stream().anyMatch(a -> wildcard(a, action, true))
                    && s.resources().stream().anyMatch(r -> wildcard(r, resource, false));
            if (matches && s.effect().equals("Deny")) {
                return false;
            }
            allowed |= matches && s.effect().equals("Allow");
        }
        return allowed;
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
