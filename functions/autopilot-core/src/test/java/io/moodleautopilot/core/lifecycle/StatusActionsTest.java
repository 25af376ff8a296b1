package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatusActionsTest {
    /** Length plus a separator, as a stored list would cost. */
    private static int cost(String action) {
        return action.length() + 1;
    }

    private static int total(List<String> actions) {
        return actions.stream().mapToInt(StatusActionsTest::cost).sum();
    }

    @Test
    void actionsThatFitAreKeptAsTheyAre() {
        List<String> actions = List.of("web group 1/1/1 -> 2/4/2", "session handler published");

        assertThat(StatusActions.fit(actions, total(actions), StatusActionsTest::cost)).isEqualTo(actions);
    }

    @Test
    void tooManyKeepsTheFirstOnesThatFitAndCountsTheRest() {
        List<String> actions = IntStream.rangeClosed(1, 200).mapToObj(i -> "set setting" + i + ": '0' -> '1'").toList();

        List<String> kept = StatusActions.fit(actions, 1000, StatusActionsTest::cost);

        assertThat(total(kept)).isLessThanOrEqualTo(1000);
        int listed = kept.size() - 1;
        assertThat(kept.subList(0, listed)).isEqualTo(actions.subList(0, listed));
        assertThat(kept.get(listed)).isEqualTo("... and " + (200 - listed) + " more");
        // Nearly the whole budget is used: one more action would not have fitted.
        assertThat(total(kept) + cost(actions.get(listed))).isGreaterThan(1000);
    }

    @Test
    void theOrderIsKeptEvenWhereALaterShorterActionWouldFit() {
        List<String> actions = List.of("a".repeat(30), "b".repeat(150), "c");

        List<String> kept = StatusActions.fit(actions, 100, StatusActionsTest::cost);

        assertThat(kept).containsExactly("a".repeat(30), "... and 2 more");
    }

    @Test
    void aLongActionIsCut() {
        String longOne = "set auth_ldap/host_url: (unset) -> '" + "x".repeat(500) + "'";

        List<String> kept = StatusActions.fit(List.of(longOne), 10_000, StatusActionsTest::cost);

        assertThat(kept).singleElement().satisfies(a -> {
            assertThat(a).hasSize(StatusActions.MAX_ACTION_LENGTH).endsWith("...");
            assertThat(longOne).startsWith(a.substring(0, a.length() - 3));
        });
    }

    @Test
    void aCutNeverSplitsACharacter() {
        String emoji = "\uD83D\uDE00";
        String action = "x".repeat(StatusActions.MAX_ACTION_LENGTH - 4) + emoji + "tail".repeat(10);

        String cut = StatusActions.cut(action);

        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 4))).isFalse();
        assertThat(cut).endsWith("x...");
    }

    @Test
    void withoutRoomForEvenTheCountNothingIsKept() {
        assertThat(StatusActions.fit(List.of("pipeline started", "web group changed"), 10, StatusActionsTest::cost))
                .isEmpty();
    }
}
