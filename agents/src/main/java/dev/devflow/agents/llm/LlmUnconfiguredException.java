package dev.devflow.agents.llm;

/** No LLM endpoint is configured for the tenant; nothing was sent. */
public final class LlmUnconfiguredException extends LlmException {

  public LlmUnconfiguredException(String reason) {
    super(reason, reason, null);
  }
}
