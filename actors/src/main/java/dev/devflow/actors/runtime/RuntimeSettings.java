package dev.devflow.actors.runtime;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a node's {@link RuntimeSupervisor}.
 *
 * @param workDir where instances are unpacked, one directory per instance id
 * @param advertisedHost the host other nodes reach this node's instances at (in {@link InstanceEvent.Healthy})
 * @param restartMin the first back-off before restarting a crashed instance; doubles per crash
 * @param restartMax the longest back-off; the back-off is reset once an instance stays healthy for
 *     {@link RuntimeSupervisor#STABLE_AFTER}
 * @param crashLoopLimit an instance that crashes more often than this within {@code crashLoopWindow}
 *     is given up ({@link InstanceEvent.Failed} "crash loop: ...")
 * @param logCapBytes the most log an instance writes to the log store over its lifetime
 * @param livenessInterval how often a healthy instance with a health path is checked again
 * @param livenessFailures that many failed checks in a row and the instance is killed and restarted
 *     like a crashed one
 */
public record RuntimeSettings(Path workDir, String advertisedHost, Duration restartMin, Duration restartMax,
    int crashLoopLimit, Duration crashLoopWindow, long logCapBytes, Duration livenessInterval, int livenessFailures) {

  public static final long DEFAULT_LOG_CAP_BYTES = 5L * 1024 * 1024;

  /** 1 s to 1 min back-off, 5 crashes in 5 minutes, 5 MiB of log, a check every 10 s, 3 failed in a row. */
  public static RuntimeSettings defaults(Path workDir, String advertisedHost) {
    return new RuntimeSettings(workDir, advertisedHost, Duration.ofSeconds(1), Duration.ofMinutes(1), 5,
        Duration.ofMinutes(5), DEFAULT_LOG_CAP_BYTES, Duration.ofSeconds(10), 3);
  }
}
