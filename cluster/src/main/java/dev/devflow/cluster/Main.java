package dev.devflow.cluster;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.secrets.SecretStore;
import dev.devflow.persistence.DatabaseUnreachableException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code devflow} command: {@code start} (one node, every role, embedded PostgreSQL), {@code
 * node} (a cluster member on an external PostgreSQL), {@code runner}, {@code secrets}, {@code version}.
 *
 * <p>{@link #main} parses the command line; {@link #init} wires a started actor system (entities
 * by role, HTTP on the api role) and is what integration tests call through {@link Node#start}.
 */
@Command(
    name = "devflow",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {Main.Start.class, Main.NodeCommand.class, Main.RunnerCommand.class, SecretsCommand.class,
        Main.VersionCommand.class},
    description = "DevFlow: git hosting, CI/CD, deployments, feature flags and AI agents on one Pekko cluster.")
public final class Main implements Runnable {

  static final String SYSTEM_NAME = "devflow";

  /** Exit code for a start-up failure the user can fix (database, port, configuration). */
  static final int EXIT_STARTUP = 2;

  /** Every sharded entity type, for cluster status and metrics. */


  public static void main(String[] args) {
    // DNS answers are cached for 30 s by default; seeds from DNS (DnsSeeds) must see pods that
    // came up a moment ago. Read once, when the first name is resolved: so before anything else.
    java.security.Security.setProperty("networkaddress.cache.ttl", "1");
    java.security.Security.setProperty("networkaddress.cache.negative.ttl", "1");
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /**
   * Wires a started node: joins the cluster, starts sharding of every entity type (proxies on
   * nodes without the core role) and, on the api role, the HTTP server.
   *
   * @return the bound HTTP port, or 0 when the node has no api role
   */
  public static CompletionStage<Integer> init(
      ActorSystem<?> system, NodeSettings settings, Database db, SecretStore secrets, String adminTokenHash) {
    Cluster cluster = Cluster.get(system);
    LeaseKeeper.start(system, db.settings());
    if (settings.seedDns().isPresent()) {
      NodeSettings.SeedDns dns = settings.seedDns().get();
      DnsSeeds.join(system, dns.name(), settings.clusterHost(), settings.clusterPort(), dns.expect(), dns.timeout());
    } else if (settings.bootstrap().isPresent()) {
      KubernetesBootstrap.join(system, settings.bootstrap().get().timeout());
    } else if (settings.seeds().isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    NodeServices node = NodeServices.start(system, settings, db, secrets);
    if (settings.hasRole("core")) {
      PersistenceWarmup.start(system, db);
    }
    if (!settings.hasRole("api")) {
      return CompletableFuture.completedFuture(0);
    }
    return ApiServer.start(system, settings, node, adminTokenHash);
  }

  /** Runs a node in the foreground until it is stopped; returns the process exit code. */
  static int runForeground(Map<String, Object> options, Path configFile, boolean banner) {
    RunningNode node;
    int port;
    try {
      node = Node.start(options, configFile);
    } catch (Node.StartupException | NodeConfig.InvalidConfigException | DatabaseUnreachableException e) {
      System.err.println("devflow: " + e.getMessage());
      return EXIT_STARTUP;
    }
    try {
      port = node.httpPort().get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      System.err.println("devflow: " + e.getCause().getMessage());
      node.released().orTimeout(60, TimeUnit.SECONDS).exceptionally(t -> null).join();
      return EXIT_STARTUP;
    } catch (Exception e) {
      System.err.println("devflow: the node did not start within 120 s: " + e);
      node.close();
      return EXIT_STARTUP;
    }
    // SIGTERM and Ctrl-C run CoordinatedShutdown; this hook keeps the JVM alive until the
    // embedded PostgreSQL has stopped after the actor system.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> node.released().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join(),
                "devflow-release"));
    handleSignals(node.system());
    if (banner) {
      printBanner(node, port);
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
    node.released().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join();
    return 0;
  }

  private static void printBanner(RunningNode node, int port) {
    NodeSettings s = node.settings();
    StringBuilder b = new StringBuilder();
    b.append("\nDevFlow is running at http://").append(s.httpHost()).append(':').append(port).append('\n');
    node.createdAdminToken()
        .ifPresentOrElse(
            token -> b.append("Admin token (shown once; also saved in ")
                .append(s.home().resolve("admin-token"))
                .append("):\n  ")
                .append(token)
                .append('\n'),
            () -> b.append("Admin token: in ").append(s.home().resolve("admin-token")).append('\n'));
    b.append("Stop with Ctrl-C.\n");
    System.out.println(b);
    System.out.flush();
  }

  /** Options every subcommand shares. */
  static class Common {
    @Option(names = "--home", description = "data directory (DEVFLOW_HOME, default ./.devflow)")
    Path home;

    @Option(
        names = "--config",
        defaultValue = "${env:DEVFLOW_CONFIG}",
        description = "HOCON file with devflow { } settings (DEVFLOW_CONFIG)")
    Path config;

    void putInto(Map<String, Object> options) {
      if (home != null) {
        options.put("devflow.home", home.toString());
      }
    }
  }

  /** The external database options (node, runner, secrets commands). */
  static class DatabaseOptions {
    @Option(names = "--db-url", description = "JDBC URL of PostgreSQL (DEVFLOW_DB_URL)")
    String url;

    @Option(names = "--db-user", description = "database user (DEVFLOW_DB_USER)")
    String user;

    @Option(names = "--db-password", description = "database password (DEVFLOW_DB_PASSWORD)")
    String password;

    void putInto(Map<String, Object> options) {
      NodeCommand.putIfSet(options, "devflow.db.url", url);
      NodeCommand.putIfSet(options, "devflow.db.user", user);
      NodeCommand.putIfSet(options, "devflow.db.password", password);
    }
  }

  @Command(name = "start", description = "Run one node with every role on an embedded PostgreSQL.")
  static final class Start implements Callable<Integer> {
    @CommandLine.Mixin Common common = new Common();

    @Option(names = "--port", description = "HTTP port (DEVFLOW_HTTP_PORT, default 8080)")
    Integer port;

    @Override
    public Integer call() {
      Map<String, Object> options = new LinkedHashMap<>();
      common.putInto(options);
      if (port != null) {
        options.put("devflow.http.port", port);
      }
      // A single node needs no fixed cluster port and no seeds.
      options.put("devflow.cluster.port", 0);
      options.put("devflow.cluster.seeds", "");
      options.put("devflow.cluster.seed-dns", "");
      options.put("devflow.cluster.bootstrap", "");
      options.put("devflow.cluster.roles", "api,core,runner,runtime");
      return runForeground(options, common.config, true);
    }
  }

  @Command(name = "node", description = "Run a cluster member on an external PostgreSQL.")
  static class NodeCommand implements Callable<Integer> {
    @CommandLine.Mixin Common common = new Common();

    @CommandLine.Mixin DatabaseOptions database = new DatabaseOptions();

    @Option(names = "--http-host", description = "HTTP bind address (DEVFLOW_HTTP_HOST)")
    String httpHost;

    @Option(names = "--http-port", description = "HTTP port (DEVFLOW_HTTP_PORT)")
    Integer httpPort;

    @Option(names = "--cluster-host", description = "address other nodes reach this one at (DEVFLOW_CLUSTER_HOST)")
    String clusterHost;

    @Option(names = "--cluster-port", description = "cluster (Artery) port (DEVFLOW_CLUSTER_PORT)")
    Integer clusterPort;

    @Option(names = "--seeds", description = "host:port[,host:port] of seed nodes (DEVFLOW_SEEDS)")
    String seeds;

    @Option(names = "--seed-dns", description = "DNS name whose addresses are the seeds (DEVFLOW_SEED_DNS)")
    String seedDns;

    @Option(names = "--seed-dns-expect", description = "addresses to wait for before joining (DEVFLOW_SEED_DNS_EXPECT)")
    Integer seedDnsExpect;

    @Option(names = "--bootstrap", description = "kubernetes-api: find the other nodes' pods through the Kubernetes"
        + " API and form or join the cluster with them (DEVFLOW_BOOTSTRAP)")
    String bootstrap;

    @Option(names = "--bootstrap-expect", description = "pods to wait for before founding a cluster"
        + " (DEVFLOW_BOOTSTRAP_EXPECT)")
    Integer bootstrapExpect;

    @Option(names = "--management-port", description = "Pekko Management port, bootstrap only (DEVFLOW_MANAGEMENT_PORT)")
    Integer managementPort;

    @Option(names = "--roles", description = "api,core[,runner,runtime] (DEVFLOW_ROLES)")
    String roles;

    @Override
    public Integer call() {
      Map<String, Object> options = new LinkedHashMap<>();
      common.putInto(options);
      database.putInto(options);
      putIfSet(options, "devflow.http.host", httpHost);
      putIfSet(options, "devflow.http.port", httpPort);
      putIfSet(options, "devflow.cluster.host", clusterHost);
      putIfSet(options, "devflow.cluster.port", clusterPort);
      putIfSet(options, "devflow.cluster.seeds", seeds);
      putIfSet(options, "devflow.cluster.seed-dns", seedDns);
      putIfSet(options, "devflow.cluster.seed-dns-expect", seedDnsExpect);
      putIfSet(options, "devflow.cluster.bootstrap", bootstrap);
      putIfSet(options, "devflow.cluster.bootstrap-expect", bootstrapExpect);
      putIfSet(options, "devflow.cluster.management-port", managementPort);
      putIfSet(options, "devflow.cluster.roles", roles);
      addOptions(options);
      if ((database.url == null || database.url.isBlank()) && System.getenv("DEVFLOW_DB_URL") == null) {
        System.err.println("devflow: '" + name() + "' needs an external database: --db-url or DEVFLOW_DB_URL");
        return EXIT_STARTUP;
      }
      return runForeground(options, common.config, false);
    }

    /** Subcommand-specific settings on top of the node's. */
    void addOptions(Map<String, Object> options) {}

    String name() {
      return "node";
    }

    static void putIfSet(Map<String, Object> options, String key, Object value) {
      if (value != null) {
        options.put(key, value);
      }
    }
  }

  @Command(name = "runner",
      description = "Run a CI runner: joins the cluster with the runner role only and runs jobs (no shards, no HTTP).")
  static final class RunnerCommand extends NodeCommand {
    @Option(names = "--labels", description = "labels jobs select with runs-on (default self-hosted,linux,x64)")
    String labels;

    @Option(names = "--slots", description = "jobs run at once (default 2)")
    Integer slots;

    @Option(names = "--work-dir", description = "workspace directory (default <home>/runner)")
    Path workDir;

    @Option(names = "--name", description = "runner name shown in the API (default <hostname>-<pid>)")
    String runnerName;

    @Override
    void addOptions(Map<String, Object> options) {
      options.put("devflow.cluster.roles", "runner");
      putIfSet(options, "devflow.ci.runner.labels", labels);
      putIfSet(options, "devflow.ci.runner.slots", slots);
      putIfSet(options, "devflow.ci.runner.work-dir", workDir == null ? null : workDir.toAbsolutePath().toString());
      putIfSet(options, "devflow.ci.runner.name", runnerName);
    }

    @Override
    String name() {
      return "runner";
    }
  }

  @Command(name = "version", description = "Print the version.")
  static final class VersionCommand implements Runnable {
    @Override
    public void run() {
      System.out.println("devflow " + Version.current());
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    static String current() {
      String v = Main.class.getPackage().getImplementationVersion();
      return v == null ? "development" : v;
    }

    @Override
    public String[] getVersion() {
      return new String[] {"devflow " + current()};
    }
  }

  /** Runs CoordinatedShutdown on SIGTERM/SIGINT so the process leaves the cluster and exits 0. */
  static void handleSignals(ActorSystem<?> system) {
    for (String name : List.of("TERM", "INT")) {
      sun.misc.Signal.handle(
          new sun.misc.Signal(name),
          sig -> CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason()));
    }
  }
}
