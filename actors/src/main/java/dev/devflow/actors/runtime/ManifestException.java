package dev.devflow.actors.runtime;

/**
 * A Procfile or devflow.yml DevFlow cannot use. The message reads {@code file:line: reason}
 * ({@code Procfile:3: process type 'web worker' ...}); line is 1-based, 0 when the problem is the
 * file as a whole (e.g. a Procfile without any process type), and the message is then
 * {@code file: reason}.
 */
public final class ManifestException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final String reason;

  public ManifestException(String file, int line, String reason) {
    super(line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }

  public String file() {
    return file;
  }

  public int line() {
    return line;
  }

  /** The message without the {@code file:line: } prefix. */
  public String reason() {
    return reason;
  }
}
