package dev.devflow.agents.llm;

/**
 * The model call failed: every attempt on every model, or a request the endpoint refused (a 4xx
 * that retrying cannot fix). The message names the last error per model.
 */
public final class LlmCallFailedException extends LlmException {

  public LlmCallFailedException(String reason, String message, Throwable cause) {
    super(reason, message, cause);
  }
}
