package dev.devflow.cluster;

import com.typesafe.config.Config;
import dev.devflow.agents.llm.LlmSettings;
import dev.devflow.agents.review.DiffLimits;
import dev.devflow.http.AuthFailureLimit;
import dev.devflow.persistence.DatabaseSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code devflow { }} settings a node starts with, read once from its configuration and
 * checked: roles must be known, seeds must be host:port.
 */
public record NodeSettings(
    Path home,
    String adminToken,
    String httpHost,
    int httpPort,
    long maxBodyBytes,
    Duration askTimeout,
    Duration drainTimeout,
    String clusterHost,
    int clusterPort,
    List<String> seeds,
    Optional<SeedDns> seedDns,
    Optional<Bootstrap> bootstrap,
    Set<String> roles,
    DatabaseSettings database,
    boolean embeddedSynchronousCommit,
    int poolSize,
    Path gitRoot,
    long maxPushBytes,
    Duration gitRequestTimeout,
    Duration tokenCacheTtl,
    FeedConfig feed,
    CiConfig ci,
    SecretsConfig secrets,
    AuthFailureLimit authFailures,
    LlmSettings llm,
    DiffLimits reviewLimits,
    DeployConfig deploy) {

  public static final Set<String> KNOWN_ROLES = Set.of("api", "core", "runner", "runtime");

  public static NodeSettings from(Config config) {
    Config c = config.getConfig("devflow");
    List<String> seeds = split(c.getString("cluster.seeds"));
    for (String seed : seeds) {
      if (!seed.matches("[^:\\s]+:\\d{1,5}")) {
        throw new NodeConfig.InvalidConfigException("seed '" + seed + "' is not host:port");
      }
    }
    Optional<SeedDns> seedDns = c.getString("cluster.seed-dns").isBlank() ? Optional.empty()
        : Optional.of(new SeedDns(c.getString("cluster.seed-dns").trim(), c.getInt("cluster.seed-dns-expect"),
            c.getDuration("cluster.seed-dns-timeout")));
    if (seedDns.isPresent() && !seeds.isEmpty()) {
      throw new NodeConfig.InvalidConfigException("give seeds or seed-dns, not both");
    }
    if (seedDns.isPresent() && seedDns.get().expect() < 1) {
      throw new NodeConfig.InvalidConfigException("seed-dns-expect must be at least 1");
    }
    Optional<Bootstrap> bootstrap = bootstrap(c);
    if (bootstrap.isPresent() && (!seeds.isEmpty() || seedDns.isPresent())) {
      throw new NodeConfig.InvalidConfigException("give seeds, seed-dns or bootstrap, only one of them");
    }
    Set<String> roles = Set.copyOf(split(c.getString("cluster.roles")));
    for (String role : roles) {
      if (!KNOWN_ROLES.contains(role)) {
        throw new NodeConfig.InvalidConfigException(
            "unknown role '" + role + "'; roles are " + String.join(", ", KNOWN_ROLES.stream().sorted().toList()));
      }
    }
    if (roles.isEmpty()) {
      throw new NodeConfig.InvalidConfigException("a node needs at least one role");
    }
    Path home = Path.of(c.getString("home")).toAbsolutePath().normalize();
    String gitRoot = c.getString("git.root");
    return new NodeSettings(
        home,
        c.getString("admin-token"),
        c.getString("http.host"),
        c.getInt("http.port"),
        c.getBytes("http.max-body-size"),
        c.getDuration("http.ask-timeout"),
        c.getDuration("http.drain-timeout"),
        c.getString("cluster.host"),
        c.getInt("cluster.port"),
        seeds,
        seedDns,
        bootstrap,
        roles,
        new DatabaseSettings(c.getString("db.url"), c.getString("db.user"), c.getString("db.password")),
        c.getBoolean("db.embedded-synchronous-commit"),
        c.getInt("db.pool-size"),
        gitRoot.isBlank() ? home.resolve("git") : Path.of(gitRoot).toAbsolutePath().normalize(),
        c.getBytes("git.max-push-size"),
        c.getDuration("git.request-timeout"),
        c.getDuration("auth.token-cache-ttl"),
        FeedConfig.from(c),
        CiConfig.from(c, home),
        SecretsConfig.from(c, home),
        new AuthFailureLimit(c.getInt("http.auth-failures.max"), c.getDuration("http.auth-failures.window"),
            c.getDuration("http.auth-failures.max-backoff")),
        LlmSettings.fromConfig(c.getConfig("llm")),
        new DiffLimits(c.getInt("agents.review.max-chunk-chars"), c.getInt("agents.review.max-files"),
            c.getInt("agents.review.max-file-chars")),
        DeployConfig.from(c, home));
  }

  /** Seeds from DNS ({@link DnsSeeds}): the name, how many addresses to wait for, and for how long. */
  public record SeedDns(String name, int expect, Duration timeout) {}

  /** Cluster bootstrap ({@link KubernetesBootstrap}): how long it may take to form or join a cluster. */
  public record Bootstrap(String method, Duration timeout) {}

  private static Optional<Bootstrap> bootstrap(Config c) {
    String method = c.getString("cluster.bootstrap").trim();
    if (method.isEmpty()) {
      return Optional.empty();
    }
    if (!method.equals("kubernetes-api")) {
      throw new NodeConfig.InvalidConfigException("bootstrap '" + method + "' is not known; the one there is: kubernetes-api");
    }
    if (c.getInt("cluster.bootstrap-expect") < 1) {
      throw new NodeConfig.InvalidConfigException("bootstrap-expect must be at least 1");
    }
    if (c.getString("cluster.bootstrap-selector").isBlank()) {
      throw new NodeConfig.InvalidConfigException("bootstrap-selector must name the node pods' labels");
    }
    int port = c.getInt("cluster.management-port");
    if (port < 1 || port > 65535) {
      throw new NodeConfig.InvalidConfigException("management-port must be 1 to 65535");
    }
    return Optional.of(new Bootstrap(method, c.getDuration("cluster.bootstrap-timeout")));
  }

  public boolean embeddedDatabase() {
    return database.url().isBlank();
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  private static List<String> split(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }
}
