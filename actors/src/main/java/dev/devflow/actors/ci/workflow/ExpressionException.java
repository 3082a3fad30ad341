package dev.devflow.actors.ci.workflow;

/**
 * A GitHub Actions expression that cannot be parsed or evaluated. The message names the reason, the
 * 1-based character position in the expression (0 when the whole expression is meant) and the
 * expression, as GitHub words it: {@code Unexpected symbol: '='. Located at position 12 within
 * expression: github.ref = 'x'}.
 */
public final class ExpressionException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String expression;
  private final int position;
  private final String reason;

  public ExpressionException(String expression, int position, String reason) {
    super(reason + ". Located at position " + position + " within expression: " + expression);
    this.expression = expression;
    this.position = position;
    this.reason = reason;
  }

  /** The text that was parsed: an expression, or a whole template when the error came from one. */
  public String expression() {
    return expression;
  }

  /** 1-based character position of the error in {@link #expression()}; 0 when unknown. */
  public int position() {
    return position;
  }

  public String reason() {
    return reason;
  }
}
