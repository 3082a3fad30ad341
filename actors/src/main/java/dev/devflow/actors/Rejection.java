package dev.devflow.actors;

import org.apache.pekko.pattern.StatusReply;

/**
 * Why an entity refused a command. Travels inside {@link StatusReply#error(String)} as {@code
 * "<code>: <detail>"} so that it crosses nodes as a plain string, and the HTTP layer maps the code
 * to a status and a problem type.
 */
public enum Rejection {
  NOT_FOUND("not-found"),
  CONFLICT("conflict"),
  INVALID("invalid");

  private final String code;

  Rejection(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public <T> StatusReply<T> reply(String detail) {
    return StatusReply.error(code + ": " + detail);
  }

  /** The same refusal as an exception, for code that fails a future rather than replying. */
  public RuntimeException exception(String detail) {
    return new StatusReply.ErrorMessage(code + ": " + detail);
  }

  /** The rejection a {@link StatusReply} error carries, or null if it is some other failure. */
  public static Rejection of(Throwable error) {
    String message = error.getMessage();
    if (message == null) {
      return null;
    }
    for (Rejection r : values()) {
      if (message.startsWith(r.code + ": ")) {
        return r;
      }
    }
    return null;
  }

  /** The human part of a rejection message. */
  public static String detail(Throwable error) {
    Rejection r = of(error);
    return r == null ? error.getMessage() : error.getMessage().substring(r.code.length() + 2);
  }
}
