package dev.devflow.actors.runtime;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.util.List;
import java.util.Map;

/**
 * What a {@link RuntimeSupervisor} runs: one instance of one process type of one release of an app.
 *
 * @param instanceId unique among the instances ever started for the app; also the name of the
 *     instance's work directory, so letters, digits, {@code . _ -} only
 * @param command the Procfile command, run by bash with {@code PORT} set
 * @param artifact the {@link BlobStore} hash of the release's {@code .tar.gz}
 * @param env the environment of the process (config and secrets); the supervisor adds {@code PORT}
 *     and keeps {@code PATH}, {@code HOME} and {@code LANG} of the node unless given here
 * @param healthPath polled on {@code 127.0.0.1:PORT}; null for a process type without HTTP (a
 *     worker), which is healthy once it has run 2 s
 * @param maskedValues secret values masked ({@code ***}) in the instance's log
 */
public record InstanceSpec(String instanceId, String tenant, String app, long release, String processType,
    String command, String artifact, Map<String, String> env, String healthPath, int healthTimeoutSeconds,
    List<String> maskedValues) implements CrossNodeMessage {

  public InstanceSpec {
    env = Map.copyOf(env);
    maskedValues = List.copyOf(maskedValues);
  }
}
