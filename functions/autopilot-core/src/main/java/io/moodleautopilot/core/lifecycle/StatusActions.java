package io.moodleautopilot.core.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The actions a status record keeps. The record lives in a parameter of bounded size, and one
 * converge can report hundreds of actions (a settings document of 200 values is 200 changes): the
 * record keeps the first ones that fit and says how many more there were; the function's result and
 * log keep them all.
 */
public final class StatusActions {
    /** Longer actions are cut, so that one long value cannot crowd out the others. */
    public static final int MAX_ACTION_LENGTH = 200;

    private StatusActions() {
    }

    /**
     * @param budget what the kept actions may cost together
     * @param cost   what one action costs where it is stored (its encoded length, separator included)
     * @return the actions, each cut to {@link #MAX_ACTION_LENGTH}; when they do not all fit, the first
     *         ones that do, in order, then "... and N more"; empty when not even that line fits
     */
    public static List<String> fit(List<String> actions, int budget, ToIntFunction<String> cost) {
        List<String> cut = actions.stream().map(StatusActions::cut).toList();
        if (cut.stream().mapToLong(cost::applyAsInt).sum() <= budget) {
            return cut;
        }
        // Priced at its longest (every action left out), so the line always fits after the kept ones.
        int moreLine = cost.applyAsInt(more(actions.size()));
        if (moreLine > budget) {
            return List.of();
        }
        List<String> kept = new ArrayList<>();
        long used = moreLine;
        for (String action : cut) {
            int c = cost.applyAsInt(action);
            if (used + c > budget) {
                break;
            }
            kept.add(action);
            used += c;
        }
        kept.add(more(actions.size() - kept.size()));
        return kept;
    }

    static String more(int n) {
        return "... and " + n + " more";
    }

    static String cut(String action) {
        if (action.length() <= MAX_ACTION_LENGTH) {
            return action;
        }
        int end = MAX_ACTION_LENGTH - 3;
        if (Character.isHighSurrogate(action.charAt(end - 1))) {
            end--; // never half a character
        }
        return action.substring(0, end) + "...";
    }
}
