package dev.devflow.persistence.secrets;

/** The node's master key is not the one the database's secrets need; it must not start. */
public final class MasterKeyMismatchException extends RuntimeException {
  public MasterKeyMismatchException(String message) {
    super(message);
  }
}
