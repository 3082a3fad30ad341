package dev.devflow.persistence;

/** The database could not be reached; the message names the URL with its password masked. */
public final class DatabaseUnreachableException extends RuntimeException {

  public DatabaseUnreachableException(DatabaseSettings settings, Throwable cause) {
    super("cannot reach the database at " + settings.maskedUrl() + ": " + rootMessage(cause), cause);
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
