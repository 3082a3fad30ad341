package dev.devflow.actors.runtime;

import dev.devflow.persistence.serialization.CrossNodeMessage;

/**
 * What a {@link RuntimeSupervisor} reports about one instance, to the {@code reportTo} of its
 * {@link RuntimeSupervisor.StartInstance}. In order per instance; {@link Failed} and {@link Stopped}
 * are final (nothing follows them).
 */
public sealed interface InstanceEvent extends CrossNodeMessage {

  String instanceId();

  /**
   * Answers health checks (or, for a worker, has run 2 s): route traffic to {@code node:port}.
   *
   * @param node the supervisor's advertised host
   * @param pid the process (and process group) id on that node
   * @param restarts how often the instance was restarted after a crash so far
   */
  record Healthy(String instanceId, String node, int port, long pid, int restarts) implements InstanceEvent {}

  /**
   * Exited (or stopped answering health checks after a restart) after having been healthy; it is
   * restarted after a back-off, and reports {@link Healthy} again once it answers.
   *
   * @param restarts how often it was restarted before this crash (0 on the first)
   */
  record Crashed(String instanceId, int exitCode, int restarts, String reason) implements InstanceEvent {}

  /**
   * Given up, nothing runs any more: never healthy within its timeout, exited before being healthy,
   * a crash loop, or the artifact could not be unpacked. The reason is meant for the app's owner.
   */
  record Failed(String instanceId, String reason) implements InstanceEvent {}

  /** Stopped on request; its process group is gone and its work directory deleted. */
  record Stopped(String instanceId) implements InstanceEvent {}
}
