package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.time.Instant;
import java.util.Map;

/**
 * A numbered release of an app: a commit, built once into an artifact, with the app's env at the
 * time. {@code status}: building, deploying (built, instances starting), live, failed,
 * superseded (a newer release went live), rolled-back (replaced by a rollback). {@code
 * rollbackOf}: the release this one copies (0: none).
 */
public record Release(
    long number, String commit, String status, String reason, Long pipeline, String artifact,
    Map<String, String> processes, String healthPath, int healthTimeoutSeconds, Map<String, String> env,
    long rollbackOf, Instant createdAt, Instant liveAt) implements CrossNodeMessage {

  public static final String BUILDING = "building";
  public static final String DEPLOYING = "deploying";
  public static final String LIVE = "live";
  public static final String FAILED = "failed";
  public static final String SUPERSEDED = "superseded";
  public static final String ROLLED_BACK = "rolled-back";

  public Release {
    processes = processes == null ? Map.of() : Map.copyOf(processes);
    env = env == null ? Map.of() : Map.copyOf(env);
  }

  Release withStatus(String s, String why) {
    return new Release(number, commit, s, why, pipeline, artifact, processes, healthPath, healthTimeoutSeconds, env,
        rollbackOf, createdAt, liveAt);
  }

  Release withPipeline(long p) {
    return new Release(number, commit, status, reason, p, artifact, processes, healthPath, healthTimeoutSeconds, env,
        rollbackOf, createdAt, liveAt);
  }

  Release built(String hash, Map<String, String> procs, String health, int timeout) {
    return new Release(number, commit, DEPLOYING, null, pipeline, hash, procs, health, timeout, env, rollbackOf,
        createdAt, liveAt);
  }

  Release live(Instant at) {
    return new Release(number, commit, LIVE, null, pipeline, artifact, processes, healthPath, healthTimeoutSeconds,
        env, rollbackOf, createdAt, at);
  }

  boolean isBuilt() {
    return artifact != null;
  }
}
