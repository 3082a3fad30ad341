package dev.devflow.persistence.secrets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A 256-bit master key and its id. The id (a hash of the key, 16 bytes in hex) is stored with
 * every value it encrypted, so a node can tell which key a row needs without ever storing a key.
 */
public final class MasterKey {

  private static final int LENGTH = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] bytes;
  private final String id;

  private MasterKey(byte[] bytes) {
    this.bytes = bytes.clone();
    this.id = idOf(bytes);
  }

  public static MasterKey generate() {
    byte[] b = new byte[LENGTH];
    RANDOM.nextBytes(b);
    return new MasterKey(b);
  }

  /**
   * @throws IllegalArgumentException when the text is not base64 of exactly 32 bytes (the message
   *     never repeats the text)
   */
  public static MasterKey parse(String base64) {
    byte[] b;
    try {
      b = Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a master key must be base64 (e.g. `openssl rand -base64 32`)");
    }
    if (b.length != LENGTH) {
      throw new IllegalArgumentException("a master key must be 32 bytes in base64, this one has " + b.length);
    }
    return new MasterKey(b);
  }

  public String id() {
    return id;
  }

  public String base64() {
    return Base64.getEncoder().encodeToString(bytes);
  }

  SecretKey aesKey() {
    return new SecretKeySpec(bytes, "AES");
  }

  private static String idOf(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("devflow-master-key-id:".getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(Arrays.copyOf(sha.digest(key), 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Never the key itself: keys end up in exception messages and logs by accident otherwise. */
  @Override
  public String toString() {
    return "MasterKey[" + id + "]";
  }
}
