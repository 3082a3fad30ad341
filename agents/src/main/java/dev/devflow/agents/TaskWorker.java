package dev.devflow.agents;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs one task for its agent, under a back-off supervisor: a crash (a failed stage, a bug) runs
 * the task again after 1 s, 2 s, 4 s …; after {@link #MAX_RESTARTS} the worker stops and the agent,
 * which watches it, records the task as failed. The agent stops the worker once it has the outcome.
 */
final class TaskWorker {

  static final int MAX_RESTARTS = 4;

  sealed interface Command {}

  private record Finished(TaskOutcome outcome) implements Command {}

  private record Crashed(Throwable error) implements Command {}

  private TaskWorker() {}

  static Behavior<Command> supervised(TaskRunner runner, String tenant, String agent, AgentConfig config,
      ReviewTask task, ActorRef<Agent.Command> parent) {
    return Behaviors.supervise(run(runner, tenant, agent, config, task, parent))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)
            .withMaxRestarts(MAX_RESTARTS));
  }

  private static Behavior<Command> run(TaskRunner runner, String tenant, String agent, AgentConfig config,
      ReviewTask task, ActorRef<Agent.Command> parent) {
    return Behaviors.setup(ctx -> {
      ctx.pipeToSelf(runner.run(tenant, agent, config, task),
          (outcome, error) -> error == null ? new Finished(outcome) : new Crashed(error));
      return Behaviors.receive(Command.class)
          .onMessage(Finished.class, f -> {
            parent.tell(new Agent.WorkerFinished(task.id(), f.outcome()));
            return Behaviors.same();
          })
          .onMessage(Crashed.class, c -> {
            throw new TaskCrashedException(task.id(), c.error());
          })
          .build();
    });
  }

  static final class TaskCrashedException extends RuntimeException {
    TaskCrashedException(String task, Throwable cause) {
      super("task " + task + " crashed: " + cause, cause);
    }
  }
}
