package dev.devflow.agents.llm;

/**
 * A gateway call failed. {@link #reason()} is short and fit to show a user (an agent's task
 * status); {@link #getMessage()} carries the detail for logs. Never contains an API key.
 */
public class LlmException extends RuntimeException {

  private final String reason;

  public LlmException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
