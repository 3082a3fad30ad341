package dev.devflow.actors.ci.workflow;

/**
 * A workflow file DevFlow cannot run: invalid YAML, a structure GitHub Actions would reject, or an
 * expression that does not parse. Lines and columns are 1-based and point at the offending key or
 * value; the message reads {@code file:line:column: reason}. An error found outside any file (such
 * as {@link Strategy#combinations()} on a hand-built strategy) has a null file and line 0, and its
 * message is the reason alone.
 */
public final class WorkflowException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final int column;
  private final String reason;

  public WorkflowException(String file, int line, int column, String message) {
    super(file == null ? message : file + ":" + line + ":" + column + ": " + message);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = message;
  }

  public String file() {
    return file;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  /** The message without the {@code file:line:column: } prefix. */
  public String reason() {
    return reason;
  }
}
