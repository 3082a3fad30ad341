package dev.devflow.agents.llm;

import java.util.Locale;

/** The month's spend has reached a budget; nothing was sent. */
public final class LlmBudgetExceededException extends LlmException {

  private final String scope;
  private final double spentUsd;
  private final double budgetUsd;

  /** @param scope "tenant" (the tenant's monthly budget) or "agent" (the request's agent budget) */
  public LlmBudgetExceededException(String scope, double spentUsd, double budgetUsd) {
    super(String.format(Locale.ROOT, "%s LLM budget exceeded: spent $%.4f of $%.2f this month", scope, spentUsd,
        budgetUsd), String.format(Locale.ROOT, "%s monthly LLM budget of $%.2f reached (spent $%.6f)", scope,
        budgetUsd, spentUsd), null);
    this.scope = scope;
    this.spentUsd = spentUsd;
    this.budgetUsd = budgetUsd;
  }

  public String scope() {
    return scope;
  }

  public double spentUsd() {
    return spentUsd;
  }

  public double budgetUsd() {
    return budgetUsd;
  }
}
