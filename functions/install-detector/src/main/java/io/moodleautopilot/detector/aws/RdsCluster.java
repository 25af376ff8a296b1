package io.moodleautopilot.detector.aws;

import io.moodleautopilot.core.install.DetectorPorts;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.function.Supplier;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.rds.model.DbClusterNotFoundException;

public final class RdsCluster implements DetectorPorts.Cluster {
    private final Supplier<RdsClient> rds;
    private final String clusterIdentifier;

    public RdsCluster(Supplier<RdsClient> rds, String clusterIdentifier) {
        this.rds = rds;
        this.clusterIdentifier = clusterIdentifier;
    }

    @Override
    public String status() {
        try {
            return rds.get().describeDBClusters(r -> r.dbClusterIdentifier(clusterIdentifier)).dbClusters().get(0).status();
        } catch (DbClusterNotFoundException e) {
            throw new ConfigurationException("database cluster '" + clusterIdentifier + "' does not exist");
        }
    }
}
