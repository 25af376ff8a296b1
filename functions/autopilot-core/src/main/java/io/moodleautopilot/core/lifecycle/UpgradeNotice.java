package io.moodleautopilot.core.lifecycle;

/**
 * The one notification of a failed database upgrade: what state the site is in, why, what the
 * database has and what the code wanted, and where the runbook says what to do. Built only from the
 * upgrade record, which holds versions, an instance id and a one-line reason, never a secret.
 */
public record UpgradeNotice(String subject, String message) {
    public static final String RUNBOOK = "docs/runbook.md#moodle-upgrade-failed";
    /** SNS refuses a subject longer than 100 characters. */
    static final int SUBJECT_LIMIT = 100;

    public static UpgradeNotice failed(String stack, UpgradeRecord r) {
        String subject = "Moodle upgrade failed on " + stack + ": site in maintenance mode";
        if (subject.length() > SUBJECT_LIMIT) {
            subject = subject.substring(0, SUBJECT_LIMIT - 3) + "...";
        }
        String message = "The Moodle database upgrade on stack " + stack + " failed. The site is in maintenance mode"
                + " (Moodle's CLI maintenance mode): visitors see the maintenance page until the upgrade completes.\n\n"
                + "Reason: " + orUnknown(r.reason()) + "\n"
                + "The database has: " + describe(r.database()) + "\n"
                + "The code wanted:  " + describe(r.code()) + "\n"
                + "Attempt: " + orUnknown(r.attempt()) + " on instance " + orUnknown(r.owner())
                + (r.startedAt() == null ? "" : ", started " + r.startedAt()) + "\n\n"
                + "What to do: " + RUNBOOK + " (section \"Moodle upgrade failed\"). Nothing retries the upgrade by"
                + " itself: once the cause is fixed, the next stack deployment (sam deploy) resumes it on one"
                + " web instance. This is the only message for this attempt.";
        return new UpgradeNotice(subject, message);
    }

    private static String describe(UpgradeRecord.Moodle m) {
        if (m == null) {
            return "unknown";
        }
        return "release " + orUnknown(m.release()) + ", version " + orUnknown(m.version());
    }

    private static String orUnknown(String s) {
        return s == null ? "unknown" : s;
    }
}
