package dev.devflow.cluster;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import dev.devflow.persistence.secrets.MasterKeyMismatchException;
import dev.devflow.persistence.secrets.SecretStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * Finds this node's master key and checks it against the database before anything runs.
 *
 * <p>{@code DEVFLOW_MASTER_KEY} wins; else {@code <home>/master.key}, re-read whenever the node
 * meets a key id it does not hold (a rotation on this home writes the new key there). With
 * neither, a key is generated into that file (mode 0600) — but only for a database that has no
 * key yet: a node joining an existing cluster without the key is refused rather than given a
 * key of its own. A key the database does not know is refused too; nothing is written then.
 */
final class MasterKeyBootstrap {

  private MasterKeyBootstrap() {}

  static SecretStore run(SecretsConfig config, Database db) {
    if (!config.masterKey().isEmpty()) {
      Keyring keys = parse(config.masterKey(), "DEVFLOW_MASTER_KEY (devflow.secrets.master-key)");
      return checked(new SecretStore(db, () -> keys));
    }
    Path file = config.keyFile();
    boolean generated = false;
    if (!Files.exists(file)) {
      Optional<String> active = SecretStore.activeKeyId(db);
      if (active.isPresent()) {
        throw new Node.StartupException("no master key: this database's secrets are encrypted with key "
            + active.get() + ". Set DEVFLOW_MASTER_KEY to the cluster's key (or copy master.key from the home of "
            + "the node that created it to " + file + ")", null);
      }
      // Written before the database learns the key: a crash in between leaves a file the next
      // start uses, never a database waiting for a key nobody has.
      writeKeyFile(file, new Keyring(List.of(MasterKey.generate())));
      generated = true;
    }
    Keyring first = readKeyFile(file);
    try {
      return checked(new SecretStore(db, () -> Files.exists(file) ? readKeyFile(file) : first));
    } catch (Node.StartupException e) {
      if (generated) {
        // Another node registered its key first (both found the database empty): ours is of no use.
        deleteQuietly(file);
      }
      throw e;
    }
  }

  private static SecretStore checked(SecretStore store) {
    try {
      store.checkKeys();
    } catch (MasterKeyMismatchException e) {
      throw new Node.StartupException(e.getMessage(), e);
    }
    return store;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // the refusal message matters more than this file
    }
  }

  static Keyring readKeyFile(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the master key file " + file, e);
    }
  }

  /** Replaces the file atomically (a node re-reading it never sees half a key), mode 0600. */
  static void writeKeyFile(Path file, Keyring keys) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, "# DevFlow master key(s), newest first. Back this file up; without it the\n"
          + "# secrets stored in the database cannot be read.\n" + keys.toFileText());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the master key file " + file, e);
    }
  }

  private static Keyring parse(String text, String where) {
    try {
      return Keyring.parse(text);
    } catch (IllegalArgumentException e) {
      throw new Node.StartupException("the master key in " + where + " is not valid: " + e.getMessage(), e);
    }
  }
}
