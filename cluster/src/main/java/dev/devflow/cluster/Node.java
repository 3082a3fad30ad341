package dev.devflow.cluster;

import com.typesafe.config.Config;
import dev.devflow.persistence.AdminTokenStore;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.DatabaseSettings;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.secrets.SecretStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Starts one DevFlow node: database (embedded or external), migrations, admin token, master key,
 * actor system,
 * then {@link Main#init}. The returned {@link RunningNode} owns everything it started and releases
 * it, embedded PostgreSQL last, once the actor system has terminated.
 */
public final class Node {

  private Node() {}

  /** A failure to start that the user can fix; reported as one line, exit code 2. */
  public static final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param options dotted configuration keys from the command line (or a test)
   * @param configFile optional --config file
   */
  public static RunningNode start(Map<String, Object> options, Path configFile) {
    NodeSettings settings = NodeSettings.from(NodeConfig.load(options, configFile, Map.of()));
    EmbeddedDatabase embedded = null;
    Database db = null;
    try {
      Files.createDirectories(settings.home());
      checkPortFree(settings.httpHost(), settings.httpPort(), settings.hasRole("api"));
      DatabaseSettings dbSettings = settings.database();
      if (settings.embeddedDatabase()) {
        try {
          embedded = EmbeddedDatabase.start(settings.home(), settings.embeddedSynchronousCommit());
        } catch (IOException | RuntimeException e) {
          throw new StartupException(
              "cannot start the embedded PostgreSQL in " + settings.home().resolve("pgdata") + ": " + e.getMessage(), e);
        }
        dbSettings = embedded.settings();
      }
      db = Database.open(dbSettings, settings.poolSize());
      Migrations.migrate(db);
      // The key first: a node refused for its key must not have created an admin token either.
      SecretStore secrets = MasterKeyBootstrap.run(settings.secrets(), db);
      AdminTokenBootstrap.Outcome admin =
          AdminTokenBootstrap.run(new AdminTokenStore(db), settings.adminToken(), settings.home());

      Map<String, Object> runtime = new HashMap<>();
      runtime.put("devflow.db.url", dbSettings.url());
      runtime.put("devflow.db.user", dbSettings.user());
      runtime.put("devflow.db.password", dbSettings.password());
      runtime.put("pekko.cluster.roles", settings.roles().stream().sorted().toList());
      runtime.put(
          "pekko.cluster.seed-nodes",
          settings.seeds().stream().map(s -> "pekko://" + Main.SYSTEM_NAME + "@" + s).toList());
      Config config = NodeConfig.load(options, configFile, runtime);

      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), Main.SYSTEM_NAME, config);
      RunningNode node = new RunningNode(system, settings, db, embedded, admin.createdToken());
      Database ownedDb = db;
      EmbeddedDatabase ownedPg = embedded;
      system.getWhenTerminated().whenComplete((done, error) -> node.releaseResources(ownedDb, ownedPg));
      try {
        Main.init(system, settings, db, secrets, admin.hash()).whenComplete((port, error) -> {
          if (error != null) {
            node.startFailed(error);
          } else {
            node.started(port);
          }
        });
      } catch (RuntimeException e) {
        system.terminate();
        throw e;
      }
      return node;
    } catch (StartupException | NodeConfig.InvalidConfigException e) {
      close(db, embedded);
      throw e;
    } catch (Exception e) {
      close(db, embedded);
      throw new StartupException(e.getMessage(), e);
    }
  }

  private static void checkPortFree(String host, int port, boolean api) {
    if (!api || port == 0) {
      return;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new StartupException("cannot listen on " + host + ":" + port + ": port in use or not permitted", e);
    }
  }

  static void close(Database db, EmbeddedDatabase embedded) {
    if (db != null) {
      db.close();
    }
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException ignored) {
        // best effort while failing to start
      }
    }
  }
}
