package dev.devflow.cluster;

import dev.devflow.actors.tenant.Tokens;
import dev.devflow.persistence.AdminTokenStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Makes sure the cluster has an admin token (API.md "Authentication").
 *
 * <p>With {@code DEVFLOW_ADMIN_TOKEN} set, its hash replaces whatever is stored (several nodes
 * creating a cluster at once all write the same value). Otherwise the first node to find the
 * database without one generates it; the single-row insert lets exactly one node win, and only
 * that node prints the token and writes {@code <home>/admin-token} (mode 0600).
 */
final class AdminTokenBootstrap {

  /** The hash now in force, and the clear token if this start created it. */
  record Outcome(String hash, Optional<String> createdToken) {}

  private AdminTokenBootstrap() {}

  static Outcome run(AdminTokenStore store, String configured, Path home) throws IOException {
    if (!configured.isBlank()) {
      String hash = Tokens.hash(configured);
      store.replace(hash);
      return new Outcome(hash, Optional.empty());
    }
    String token = Tokens.newAdminToken();
    if (store.createIfAbsent(Tokens.hash(token))) {
      writeTokenFile(home.resolve("admin-token"), token);
      return new Outcome(Tokens.hash(token), Optional.of(token));
    }
    return new Outcome(store.currentHash().orElseThrow(), Optional.empty());
  }

  private static void writeTokenFile(Path file, String token) throws IOException {
    Files.createDirectories(file.getParent());
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
  }
}
