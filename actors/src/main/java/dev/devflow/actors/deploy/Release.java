package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.time.Instant;
import java.util.Map;

/**
 * A numbered release of an app: a commit, built once into an artifact, with the app's env at the
 * time. {@code status}: building, deploying (built, instances starting), live, failed,
 * superseded (a newer release went live), rolled-back (replaced by a rollback). {@code
 * rollbackOf}: the release this one copies (0: none). {@code env} is the app's env when the
 * release was made; {@code manifestEnv} the {@code env:} of the commit's devflow.yml (weaker).
 */
public record Release(
    long number, String commit, String status, String reason, Long pipeline, String artifact,
    Map<String, String> processes, String healthPath, int healthTimeoutSeconds, Map<String, String> env,
    Map<String, String> manifestEnv, long rollbackOf, Instant createdAt, Instant liveAt) implements CrossNodeMessage {

  public static final String BUILDING = "building";
  public static final String DEPLOYING = "deploying";
  public static final String LIVE = "live";
  public static final String FAILED = "failed";
  public static final String SUPERSEDED = "superseded";
  public static final String ROLLED_BACK = "rolled-back";

  public Release {
    processes = processes == null ? Map.of() : Map.copyOf(processes);
    env = env == null ? Map.of() : Map.copyOf(env);
    manifestEnv = manifestEnv == null ? Map.of() : Map.copyOf(manifestEnv);
  }

  Release withStatus(String s, String why) {
    return new Release(number, commit, s, why, pipeline, artifact, processes, healthPath, healthTimeoutSeconds, env,
        manifestEnv, rollbackOf, createdAt, liveAt);
  }

  Release withPipeline(long p) {
    return new Release(number, commit, status, reason, p, artifact, processes, healthPath, healthTimeoutSeconds, env,
        manifestEnv, rollbackOf, createdAt, liveAt);
  }

  Release built(String hash, Map<String, String> procs, String health, int timeout, Map<String, String> fromManifest) {
    return new Release(number, commit, DEPLOYING, null, pipeline, hash, procs, health, timeout, env, fromManifest,
        rollbackOf, createdAt, liveAt);
  }

  Release live(Instant at) {
    return new Release(number, commit, LIVE, null, pipeline, artifact, processes, healthPath, healthTimeoutSeconds,
        env, manifestEnv, rollbackOf, createdAt, at);
  }

  boolean isBuilt() {
    return artifact != null;
  }
}
