package io.moodleautopilot.core.alarm;

/**
 * What the stack does about one of its alarms.
 *
 * @param suffix      the alarm's name after "<stack>-" (template.yaml names every alarm so)
 * @param runbookStep the section of docs/runbook.md an operator follows
 */
public record AlarmRule(String suffix, AlarmKind kind, String title, String runbookStep) {
}
