package dev.devflow.agents;

import dev.devflow.agents.review.Review;

/** How a task ended, as its worker reports it to the agent. */
public sealed interface TaskOutcome {

  double costUsd();

  /** The review is stored; the agent records ReviewPosted. */
  record Posted(Review review, int skippedFiles, String model, double costUsd) implements TaskOutcome {}

  /** The task cannot succeed as things are; {@code status} is what the agent becomes. */
  record Failed(String reason, AgentStatus status, double costUsd) implements TaskOutcome {}
}
