package io.moodleautopilot.tools;

import io.moodleautopilot.testbed.MoodleSite;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Puts the local stack's Moodle database into one install phase, with the rows Moodle's web
 * installer writes (the demo walks through them). Usage: {@code LocalMoodleSite JDBC_URL USER PHASE}
 */
public final class LocalMoodleSite {
    private static final Map<String, UnaryOperator<MoodleSite>> PHASES = Map.of(
            "empty", s -> s,
            "plugins-installing", MoodleSite::pluginsInstalling,
            "admin-setup-pending", MoodleSite::wizardAdminSetupPending,
            "site-settings-pending", MoodleSite::wizardSiteSettingsPending,
            "complete", MoodleSite::complete);

    private LocalMoodleSite() {
    }

    public static void main(String[] args) {
        if (args.length != 3 || !PHASES.containsKey(args[2])) {
            System.err.println("usage: LocalMoodleSite JDBC_URL USER " + String.join("|", PHASES.keySet()));
            System.exit(2);
        }
        MoodleSite site = new MoodleSite(MoodleSite.connections(args[0], args[1], ""), MoodleSite.Dialect.POSTGRESQL, "mdl_");
        PHASES.get(args[2]).apply(site.drop());
        System.out.println("Moodle database set to: " + args[2]);
    }
}
