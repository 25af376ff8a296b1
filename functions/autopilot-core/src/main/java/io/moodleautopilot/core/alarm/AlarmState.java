package io.moodleautopilot.core.alarm;

/** CloudWatch alarm states. */
public enum AlarmState { OK, ALARM, INSUFFICIENT_DATA }
