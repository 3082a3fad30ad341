package dev.devflow.actors.secrets;

/**
 * A secret provider could not answer. The message is written for an operator: it names the
 * provider's address and what to check, and never contains a token or a secret value (so it may be
 * logged and shown as is). Unchecked: a caller either reports it or lets its supervisor do so.
 */
public final class SecretProviderException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public SecretProviderException(String message) {
    super(message);
  }

  public SecretProviderException(String message, Throwable cause) {
    super(message, cause);
  }
}
