package io.moodleautopilot.tools;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One function's cold-start case for the comparison of two builds: the same event and the same
 * starting state for every run, whichever build handles it.
 */
interface ColdScenario {
    /** The function's logical id in template.yaml (both builds). */
    String logicalId();

    /** What each run handles, for the report. */
    String event();

    /** How the state is put back before each run, for the report. */
    String stateReset();

    /** The function's environment, as the deployed stack gives it, plus the local endpoints. */
    Map<String, String> environment();

    /** Options the function's JVM needs locally (a trust store, a proxy), the same on both paths. */
    default List<String> jvmOptions() {
        return List.of();
    }

    /** Puts the state back as before the first run, and gives the event file for the next run. */
    Path nextEvent() throws Exception;

    /** Whether the run did what the event asks (beyond answering); an explanation when not, else null. */
    default String checkAfterRun() {
        return null;
    }
}
