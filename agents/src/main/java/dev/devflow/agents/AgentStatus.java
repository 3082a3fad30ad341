package dev.devflow.agents;

/** An agent's status as the API and the {@code agent.status} feed entries name it. */
public enum AgentStatus {
  IDLE("idle"),
  WORKING("working"),
  /** The monthly budget (the agent's or the tenant's) is spent: model calls are refused. */
  PAUSED_BUDGET("paused-budget"),
  /** No LLM endpoint is configured for the tenant. */
  UNCONFIGURED("unconfigured"),
  /** The last task failed (the model gateway failed or answered unusably). */
  FAILING("failing");

  private final String api;

  AgentStatus(String api) {
    this.api = api;
  }

  public String api() {
    return api;
  }
}
