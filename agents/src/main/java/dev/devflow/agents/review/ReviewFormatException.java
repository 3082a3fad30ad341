package dev.devflow.agents.review;

/**
 * The model's answer is not a usable review. The message is the reason, written to be sent back
 * to the model as is (see {@link ReviewPrompt#repair}).
 */
public final class ReviewFormatException extends Exception {

  private static final long serialVersionUID = 1L;

  public ReviewFormatException(String reason) {
    super(reason);
  }

  public String reason() {
    return getMessage();
  }
}
