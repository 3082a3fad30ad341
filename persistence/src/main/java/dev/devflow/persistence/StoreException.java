package dev.devflow.persistence;

/**
 * A database operation failed. Unchecked, so that modules above persistence/ never see JDBC types:
 * only persistence/ talks JDBC (checked by the architecture test).
 */
public final class StoreException extends RuntimeException {

  public StoreException(String message, Throwable cause) {
    super(message + ": " + cause.getMessage(), cause);
  }
}
