package io.moodleautopilot.core.install;

/**
 * What one detection saw and did.
 *
 * @param phase          null when the database could not be read
 * @param clusterStatus  the RDS status seen before connecting
 * @param flagSet        whether this run set the setup flag to Yes
 * @param claimedElsewhere the claim another detector holds on this flag version's change to Yes
 *                       (it writes Yes, this run did not); null otherwise
 * @param noKept         the site is complete and the flag reads No, but this No was never seen with
 *                       the site incomplete (an operator's No on an installed site): left as it is
 * @param settling       the site is complete under a No that may become Yes, but has not been
 *                       seen complete for {@code InstallDetectorService}'s settle time yet: a later
 *                       run sets the flag
 */
public record DetectionResult(InstallPhase phase, String clusterStatus, String probe, boolean flagSet,
                              boolean scheduleDisabled, String claimedElsewhere, boolean noKept, boolean settling) {
}
