package dev.devflow.cluster;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.DatabaseSettings;
import dev.devflow.persistence.DatabaseUnreachableException;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.StoreException;
import dev.devflow.persistence.secrets.Keyring;
import dev.devflow.persistence.secrets.MasterKey;
import dev.devflow.persistence.secrets.MasterKeyMismatchException;
import dev.devflow.persistence.secrets.SecretStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code devflow secrets ...}: operations on the secret store that run beside live nodes. */
@Command(name = "secrets", description = "Manage the secret store.",
    subcommands = {SecretsCommand.RotateMasterKey.class})
final class SecretsCommand implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /**
   * Makes a new master key the cluster's and re-encrypts every value with it while nodes keep
   * serving. With a key file ({@code <home>/master.key}) the new key is generated and written in
   * front of the old one, the values are re-encrypted, then the old key is dropped from the file;
   * nodes on that home pick the new key up by themselves. With {@code DEVFLOW_MASTER_KEY} the
   * operator puts the new key first ({@code new,old}) on every node and here; this makes it active.
   * Safe to run again after an interruption.
   */
  @Command(name = "rotate-master-key", description = "Re-encrypt every secret with a new master key, online.")
  static final class RotateMasterKey implements Callable<Integer> {
    @CommandLine.Mixin Main.Common common = new Main.Common();

    /** Without --db-url: the home's embedded database. */
    @CommandLine.Mixin Main.DatabaseOptions database = new Main.DatabaseOptions();

    @Override
    public Integer call() {
      Map<String, Object> options = new LinkedHashMap<>();
      common.putInto(options);
      database.putInto(options);
      NodeSettings settings;
      try {
        settings = NodeSettings.from(NodeConfig.load(options, common.config, Map.of()));
      } catch (NodeConfig.InvalidConfigException e) {
        System.err.println("devflow: " + e.getMessage());
        return Main.EXIT_STARTUP;
      }
      try (Opened opened = open(settings)) {
        return rotate(settings.secrets(), opened.db());
      } catch (Node.StartupException | DatabaseUnreachableException | MasterKeyMismatchException | StoreException
          | IllegalArgumentException | IOException e) {
        System.err.println("devflow: " + e.getMessage());
        return Main.EXIT_STARTUP;
      }
    }

    private static int rotate(SecretsConfig config, Database db) {
      SecretStore current = MasterKeyBootstrap.run(config, db);
      Map<String, Integer> before = current.rowsPerKey();
      if (!config.masterKey().isEmpty()) {
        Keyring keys = Keyring.parse(config.masterKey());
        int moved = new SecretStore(db, () -> keys).rotate(keys);
        System.out.println("Master key " + keys.newest().id() + " is active; " + moved + " values re-encrypted "
            + "(before: " + before + "). Once every node runs with it, drop the old keys from DEVFLOW_MASTER_KEY.");
        return 0;
      }
      Path file = config.keyFile();
      Keyring old = MasterKeyBootstrap.readKeyFile(file);
      Keyring both = old.withNewest(MasterKey.generate());
      // The new key reaches the file before any value uses it: a crash after this leaves a file
      // that reads every value, and running the command again finishes the job.
      MasterKeyBootstrap.writeKeyFile(file, both);
      int moved = new SecretStore(db, () -> both).rotate(both);
      MasterKeyBootstrap.writeKeyFile(file, new Keyring(List.of(both.newest())));
      System.out.println("Master key " + both.newest().id() + " is active; " + moved + " values re-encrypted "
          + "(before: " + before + "). " + file + " now holds only the new key: back it up, and give it to nodes "
          + "on other homes.");
      return 0;
    }

    /** The configured database, or the home's embedded one: running (a node holds it) or started here. */
    private static Opened open(NodeSettings settings) throws IOException {
      if (!settings.embeddedDatabase()) {
        return new Opened(Database.open(settings.database(), 2), null);
      }
      Path home = settings.home();
      if (!Files.isDirectory(home.resolve("pgdata"))) {
        throw new IOException("no DevFlow database in " + home + " (use --home, or --db-url for an external one)");
      }
      if (lockedByANode(home)) {
        List<String> pid = Files.readAllLines(home.resolve("pgdata").resolve("postmaster.pid"));
        String port = pid.size() > 3 ? pid.get(3).trim() : "";
        DatabaseSettings running =
            new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "postgres");
        return new Opened(Database.open(running, 2), null);
      }
      EmbeddedDatabase pg = EmbeddedDatabase.start(home);
      return new Opened(Database.open(pg.settings(), 2), pg);
    }

    private static boolean lockedByANode(Path home) throws IOException {
      try (FileChannel ch = FileChannel.open(home.resolve("pgdata.lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE)) {
        FileLock lock = ch.tryLock();
        if (lock == null) {
          return true;
        }
        lock.release();
        return false;
      }
    }

    private record Opened(Database db, EmbeddedDatabase pg) implements AutoCloseable {
      @Override
      public void close() throws IOException {
        db.close();
        if (pg != null) {
          pg.close();
        }
      }
    }
  }
}
