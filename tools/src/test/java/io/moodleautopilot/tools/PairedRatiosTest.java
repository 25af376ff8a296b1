package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PairedRatiosTest {

    @Test
    void theRatioIsTheMedianOfEachPairsRatioNotTheRatioOfTheMedians() {
        // Pair ratios 0.5, 1.5, 2.5: median 1.5; the ratio of the medians (250 / 200) would be 1.25.
        PairedRatios r = PairedRatios.of(new long[] {100, 300, 250}, new long[] {200, 200, 100});
        assertThat(r.pairs()).isEqualTo(3);
        assertThat(r.medianA()).isEqualTo(250.0);
        assertThat(r.medianB()).isEqualTo(200.0);
        assertThat(r.ratioMedian()).isCloseTo(1.5, within(1e-9));
        assertThat(r.ratioMin()).isCloseTo(0.5, within(1e-9));
        assertThat(r.ratioMax()).isCloseTo(2.5, within(1e-9));
    }

    @Test
    void aSlowerMachineInTheSecondHalfCancelsInEachPair() {
        // A is 10% faster than B in every pair, while the machine slows down threefold midway.
        long[] a = {900, 900, 2700, 2700, 2700};
        long[] b = {1000, 1000, 3000, 3000, 3000};
        PairedRatios r = PairedRatios.of(a, b);
        assertThat(r.ratioMedian()).isCloseTo(0.9, within(1e-9));
        assertThat(r.ratioMin()).isCloseTo(0.9, within(1e-9));
        assertThat(r.ratioMax()).isCloseTo(0.9, within(1e-9));
    }

    @Test
    void anEvenCountTakesTheMeanOfTheTwoMiddleRatios() {
        // Ratios 0.8, 1.0, 1.2, 2.0: the middle two are 1.0 and 1.2.
        PairedRatios r = PairedRatios.of(new long[] {80, 120, 100, 200}, new long[] {100, 100, 100, 100});
        assertThat(r.pairs()).isEqualTo(4);
        assertThat(r.ratioMedian()).isCloseTo(1.1, within(1e-9));
        assertThat(r.medianA()).isEqualTo(110.0);
        assertThat(r.medianB()).isEqualTo(100.0);
        assertThat(r.ratioMin()).isCloseTo(0.8, within(1e-9));
        assertThat(r.ratioMax()).isCloseTo(2.0, within(1e-9));
    }

    @Test
    void refusesFiguresThatDoNotPair() {
        assertThatThrownBy(() -> PairedRatios.of(new long[] {100, 200}, new long[] {100}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 A, 1 B");
        assertThatThrownBy(() -> PairedRatios.of(new long[0], new long[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PairedRatios.of(new long[] {100}, new long[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
