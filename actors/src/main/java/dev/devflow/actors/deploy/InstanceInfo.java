package dev.devflow.actors.deploy;

import dev.devflow.persistence.serialization.CrossNodeMessage;

/**
 * An instance as its app sees it. {@code status}: starting, healthy, crashed (being restarted),
 * failed, stopping.
 */
public record InstanceInfo(String id, long release, String processType, String node, int port, long pid,
    String status, int restarts, String reason) implements CrossNodeMessage {

  InstanceInfo with(String s, String why) {
    return new InstanceInfo(id, release, processType, node, port, pid, s, restarts, why);
  }
}
