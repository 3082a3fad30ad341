package dev.devflow.persistence.secrets;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM for secret values: a random 96-bit nonce per value, and the row's identity as
 * associated data so a ciphertext moved to another tenant, repository or name fails to decrypt.
 */
final class SecretCipher {

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

  private SecretCipher() {}

  static Sealed seal(MasterKey key, String tenant, String repo, String name, String value) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData(tenant, repo, name));
      return new Sealed(key.id(), nonce, c.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  /** @throws SecretDecryptionException when the key, the row identity or the bytes do not match */
  static String open(MasterKey key, String tenant, String repo, String name, byte[] nonce, byte[] ciphertext) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key.aesKey(), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData(tenant, repo, name));
      return new String(c.doFinal(ciphertext), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new SecretDecryptionException(
          "secret " + name + " of " + tenant + (repo.isEmpty() ? "" : "/" + repo) + " does not decrypt with key "
              + key.id() + " (tampered row or wrong key)");
    }
  }

  // NUL separators: names cannot contain NUL, so (a, bc) and (ab, c) never share associated data.
  private static byte[] associatedData(String tenant, String repo, String name) {
    return (tenant + '\0' + repo + '\0' + name).getBytes(StandardCharsets.UTF_8);
  }
}
