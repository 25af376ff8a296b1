package io.moodleautopilot.core.alarm;

import java.time.Instant;

/**
 * One state change of one alarm, as CloudWatch reports it.
 *
 * @param stateTimestamp when CloudWatch changed the state: with the alarm name it identifies the transition
 * @param reasonData     CloudWatch's JSON with the evaluated datapoints, or empty
 */
public record AlarmTransition(String alarmName, AlarmState state, AlarmState previousState, Instant stateTimestamp,
                              String reason, String reasonData) {
}
