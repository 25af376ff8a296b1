package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GroupLimitsTest {
    private final ProductionLimits limits = new ProductionLimits(2, 6);

    @Test
    void desiredInsideTheLimitsIsKept() {
        assertThat(GroupLimits.production(limits, new GroupLimits(2, 6, 4))).isEqualTo(new GroupLimits(2, 6, 4));
    }

    @Test
    void desiredBelowMinIsRaisedToMin() {
        assertThat(GroupLimits.production(limits, new GroupLimits(1, 1, 1))).isEqualTo(new GroupLimits(2, 6, 2));
    }

    @Test
    void desiredAboveMaxIsLoweredToMax() {
        assertThat(GroupLimits.production(limits, new GroupLimits(2, 9, 9))).isEqualTo(new GroupLimits(2, 6, 6));
    }

    @Test
    void aMaximumRaisedUpToTheCeilingIsKeptAndOneAboveItIsNot() {
        ProductionLimits withCeiling = new ProductionLimits(2, 4, 6);
        assertThat(GroupLimits.production(withCeiling, new GroupLimits(2, 5, 5))).isEqualTo(new GroupLimits(2, 5, 5));
        assertThat(GroupLimits.production(withCeiling, new GroupLimits(2, 7, 7))).isEqualTo(new GroupLimits(2, 4, 4));
        assertThat(GroupLimits.production(new ProductionLimits(2, 4), new GroupLimits(2, 5, 5)))
                .isEqualTo(new GroupLimits(2, 4, 4));
    }

    @Test
    void limitsThatMakeNoSenseAreAConfigurationError() {
        assertThatThrownBy(() -> new ProductionLimits(5, 2)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("minimum 5 is above maximum 2");
        assertThatThrownBy(() -> new ProductionLimits(0, 2)).isInstanceOf(ConfigurationException.class);
    }
}
