package dev.devflow.agents;

import java.util.concurrent.CompletionStage;

/**
 * Does an agent's task (for a reviewer: read the diff, ask the model, store the review). Expected
 * failures complete with {@link TaskOutcome.Failed}; a failed stage is a crash, and the worker's
 * supervisor runs the task again.
 */
public interface TaskRunner {

  CompletionStage<TaskOutcome> run(String tenant, String agent, AgentConfig config, ReviewTask task);

  /** Why agents of {@code tenant} cannot call a model at all (no endpoint), or null. */
  String unconfiguredReason(String tenant);
}
