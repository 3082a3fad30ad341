package dev.devflow.agents.llm;

/**
 * The endpoint answered, but not with a usable answer: an HTML page, a body cut off or not JSON,
 * no choices, or no content. Typical of a misconfigured proxy or base URL.
 */
public final class LlmBadResponseException extends LlmException {

  public LlmBadResponseException(String reason, String message, Throwable cause) {
    super(reason, message, cause);
  }
}
