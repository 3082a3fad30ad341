package dev.devflow.cluster;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code devflow.deploy { }} settings: where artifacts and instances live, how builds run,
 * how instances are restarted and drained, and the router's upstream timeout.
 *
 * @param blobs the artifact store: a volume every runner and runtime node shares, like the git root
 */
record DeployConfig(
    Path blobs, Path workDir, String buildRunsOn, Duration drain, Duration restartMin, Duration restartMax,
    int crashLoopLimit, Duration crashLoopWindow, long logCapBytes, Duration routerTimeout,
    Duration livenessInterval, int livenessFailures, int keepBuilds, Duration artifactSweepInterval,
    Duration artifactMinAge) {

  static DeployConfig from(Config devflow, Path home) {
    Config c = devflow.getConfig("deploy");
    String blobs = c.getString("blobs");
    String work = c.getString("work-dir");
    if (c.getInt("keep-builds") < 1) {
      throw new NodeConfig.InvalidConfigException("devflow.deploy.keep-builds must be at least 1");
    }
    if (c.getDuration("restart-min").compareTo(c.getDuration("restart-max")) > 0) {
      throw new NodeConfig.InvalidConfigException("devflow.deploy.restart-min must not exceed restart-max");
    }
    return new DeployConfig(
        blobs.isBlank() ? home.resolve("blobs") : Path.of(blobs).toAbsolutePath().normalize(),
        work.isBlank() ? home.resolve("runtime") : Path.of(work).toAbsolutePath().normalize(),
        c.getString("build-runs-on"),
        c.getDuration("drain"),
        c.getDuration("restart-min"),
        c.getDuration("restart-max"),
        c.getInt("crash-loop-limit"),
        c.getDuration("crash-loop-window"),
        c.getBytes("log-cap"),
        c.getDuration("router-timeout"),
        c.getDuration("liveness-interval"),
        c.getInt("liveness-failures"),
        c.getInt("keep-builds"),
        c.getDuration("artifact-sweep-interval"),
        c.getDuration("artifact-min-age"));
  }
}
