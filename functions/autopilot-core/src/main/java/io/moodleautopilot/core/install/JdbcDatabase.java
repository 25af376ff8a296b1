package io.moodleautopilot.core.install;

/** The Database port over JDBC, for one target. */
public final class JdbcDatabase implements DetectorPorts.Database {
    private final DatabaseTarget target;
    private final MoodleDatabaseReader reader = new MoodleDatabaseReader();

    public JdbcDatabase(DatabaseTarget target) {
        this.target = target;
    }

    @Override
    public MoodleSnapshot read(Credentials credentials) {
        return reader.read(target, credentials);
    }
}
