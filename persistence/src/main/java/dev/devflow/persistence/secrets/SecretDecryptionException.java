package dev.devflow.persistence.secrets;

/** A stored value that does not decrypt: wrong key, or a row changed outside DevFlow. */
public final class SecretDecryptionException extends RuntimeException {
  public SecretDecryptionException(String message) {
    super(message);
  }
}
