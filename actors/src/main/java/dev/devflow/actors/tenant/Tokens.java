package dev.devflow.actors.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Token format and hashing.
 *
 * <p>A tenant token is {@code dft_<tenant>_<id>_<secret>}: the tenant and id say which entity and
 * which entry to check without a lookup table, the secret is 32 random bytes. The admin token is
 * {@code dfa_<secret>}. Only SHA-256 hashes are stored; tokens are random enough that a slow hash
 * would add nothing but latency. Hashes are compared in constant time.
 */
public final class Tokens {

  public static final String TENANT_PREFIX = "dft_";
  public static final String ADMIN_PREFIX = "dfa_";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private Tokens() {}

  /** The parts of a tenant token that say where to check it. */
  public record Parsed(String tenant, String tokenId, String hash) {}

  public static String newTokenId() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return HEX.formatHex(b);
  }

  public static String newTenantToken(String tenant, String tokenId) {
    return TENANT_PREFIX + tenant + "_" + tokenId + "_" + secret();
  }

  public static String newAdminToken() {
    return ADMIN_PREFIX + secret();
  }

  /** Parses a tenant token; empty for anything that is not one (including admin tokens). */
  public static Optional<Parsed> parseTenantToken(String token) {
    if (token == null || !token.startsWith(TENANT_PREFIX) || token.length() > 200) {
      return Optional.empty();
    }
    int tenantEnd = token.indexOf('_', TENANT_PREFIX.length());
    if (tenantEnd < 0) {
      return Optional.empty();
    }
    int idEnd = token.indexOf('_', tenantEnd + 1);
    if (idEnd < 0 || idEnd == token.length() - 1) {
      return Optional.empty();
    }
    String tenant = token.substring(TENANT_PREFIX.length(), tenantEnd);
    String id = token.substring(tenantEnd + 1, idEnd);
    return Optional.of(new Parsed(tenant, id, hash(token)));
  }

  public static String hash(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HEX.formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Constant-time comparison of two hex hashes. */
  public static boolean sameHash(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
  }

  private static String secret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
