package dev.devflow.agents;

import dev.devflow.persistence.serialization.CrossNodeMessage;

/**
 * What an agent is told to do. {@code model} null: the tenant's default model. {@code
 * monthlyBudgetUsd} 0: no budget of its own (the tenant's still applies).
 */
public record AgentConfig(String kind, String repo, String model, String instructions, double monthlyBudgetUsd)
    implements CrossNodeMessage {

  /** The kinds DevFlow can run. */
  public static final java.util.List<String> KINDS = java.util.List.of("reviewer");
}
