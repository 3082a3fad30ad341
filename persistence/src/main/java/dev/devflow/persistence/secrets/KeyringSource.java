package dev.devflow.persistence.secrets;

/**
 * Where a node's keyring comes from. Loaded again when the node meets a key id it does not hold:
 * a rotation run against a key file puts the new key there while nodes keep running.
 */
@FunctionalInterface
public interface KeyringSource {

  /** @throws IllegalArgumentException when the source holds no valid key (message names it) */
  Keyring load();
}
