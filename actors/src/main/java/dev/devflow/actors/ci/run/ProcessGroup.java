package dev.devflow.actors.ci.run;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Signals a whole process group, the way a shell's {@code kill -- -PGID} does: the JDK can only
 * signal single processes, and a step's grandchildren ({@code sleep 1000 &}) are not the JVM's
 * children. The step runs under {@code setsid}, which makes its process the leader of a new group
 * whose id is its pid.
 *
 * <p>Thread-safe; {@link #signal} blocks for the few milliseconds {@code kill} takes. Public for the
 * runtime's app processes ({@code dev.devflow.actors.runtime}), which run under {@code setsid} too.
 */
public final class ProcessGroup {

  private final long id;

  public ProcessGroup(long id) {
    this.id = id;
  }

  public long id() {
    return id;
  }

  /**
   * Sends {@code signal} ("TERM", "KILL") to every process of the group. A group that is already
   * gone is not an error; nor is a failing {@code kill}, which can only mean the same here. Should
   * {@code kill} itself not start, the leader and its descendants are killed one by one instead.
   */
  public void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-s", signal, "--", "-" + id)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      ProcessHandle.of(id).ifPresent(leader -> {
        leader.descendants().forEach(ProcessHandle::destroyForcibly);
        leader.destroyForcibly();
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
