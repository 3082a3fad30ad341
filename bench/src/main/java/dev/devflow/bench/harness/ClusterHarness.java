package dev.devflow.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.secrets.MasterKey;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A DevFlow cluster of real processes on this machine, for tests and benchmarks that kill, freeze
 * and restart nodes: one embedded PostgreSQL (in this JVM), then {@code devflow node} and
 * {@code devflow runner} processes on 127.0.0.1 with their own ports and homes, sharing the git
 * storage, master key and admin token as a real cluster does.
 *
 * <p>The first {@code seeds} nodes' cluster ports are reserved up front and are the seed list of
 * every process, so any of them may die and come back (or a new node join) while one seed lives.
 */
public final class ClusterHarness implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final EmbeddedDatabase db;
  private final List<Integer> seedPorts;
  private final String adminToken;
  private final String masterKey;
  private final Map<String, NodeProcess> processes = new LinkedHashMap<>();
  private final Map<String, String> settings = new LinkedHashMap<>();

  private ClusterHarness(Path dir, EmbeddedDatabase db, List<Integer> seedPorts) {
    this.dir = dir;
    this.db = db;
    this.seedPorts = seedPorts;
    byte[] token = new byte[32];
    new SecureRandom().nextBytes(token);
    this.adminToken = "dfa_" + HexFormat.of().formatHex(token);
    this.masterKey = MasterKey.generate().base64();
  }

  /** Starts the database; nodes come with {@link #node}. */
  public static ClusterHarness start(Path dir, int seeds) throws IOException {
    Files.createDirectories(dir);
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < seeds; i++) {
      ports.add(freePort());
    }
    return new ClusterHarness(dir, EmbeddedDatabase.start(dir.resolve("db")), ports);
  }

  public Path dir() {
    return dir;
  }

  public String adminToken() {
    return adminToken;
  }

  public EmbeddedDatabase database() {
    return db;
  }

  /**
   * What every process gets in its environment: the cluster's shared settings, plus the settings
   * given to {@link #set} (e.g. {@code DEVFLOW_SBR_STABLE_AFTER} to compare downing settings).
   */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>(settings);
    env.put("DEVFLOW_GIT_ROOT", dir.resolve("git").toString());
    env.put("DEVFLOW_MASTER_KEY", masterKey);
    env.put("DEVFLOW_ADMIN_TOKEN", adminToken);
    env.put("DEVFLOW_SEEDS", seedPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    return env;
  }

  /** An environment variable for processes started from now on. */
  public ClusterHarness set(String name, String value) {
    settings.put(name, value);
    return this;
  }

  /** Starts a node with these roles (api gives it HTTP); the first ones take the seed ports. */
  public NodeProcess node(String name, String roles, String... extra) throws IOException {
    int seedIndex = (int) processes.values().stream().filter(p -> seedPorts.contains(p.clusterPort())).count();
    int clusterPort = seedIndex < seedPorts.size() ? seedPorts.get(seedIndex) : freePort();
    return nodeAt(name, roles, "127.0.0.1", clusterPort, extra);
  }

  /**
   * Starts a node whose cluster address is {@code host:clusterPort} (another loopback address, such
   * as 127.0.0.2, lets several nodes share one port the way pods do); HTTP stays on 127.0.0.1.
   */
  public NodeProcess nodeAt(String name, String roles, String host, int clusterPort, String... extra)
      throws IOException {
    int httpPort = roles.contains("api") ? freePort() : 0;
    List<String> args = new ArrayList<>(List.of("node", "--roles", roles, "--cluster-host", host,
        "--cluster-port", String.valueOf(clusterPort), "--http-port", String.valueOf(httpPort)));
    args.addAll(dbArgs(name));
    args.addAll(List.of(extra));
    return add(new NodeProcess(this, name, args, host, clusterPort, httpPort));
  }

  /** Starts a runner (no seed port, no HTTP). */
  public NodeProcess runner(String name, String... extra) throws IOException {
    int clusterPort = freePort();
    List<String> args = new ArrayList<>(List.of("runner", "--name", name, "--cluster-port",
        String.valueOf(clusterPort)));
    args.addAll(dbArgs(name));
    args.addAll(List.of(extra));
    return add(new NodeProcess(this, name, args, "127.0.0.1", clusterPort, 0));
  }

  private NodeProcess add(NodeProcess p) throws IOException {
    processes.put(p.name(), p);
    return p.start();
  }

  private List<String> dbArgs(String name) {
    return List.of("--db-url", db.settings().url(), "--db-user", db.settings().user(), "--db-password",
        db.settings().password(), "--home", dir.resolve(name).toString());
  }

  public NodeProcess get(String name) {
    return processes.get(name);
  }

  public List<NodeProcess> nodes() {
    return List.copyOf(processes.values());
  }

  /** {@code GET /api/v1/cluster} as {@code via} sees it. */
  public JsonNode clusterView(NodeProcess via) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(via.baseUrl() + "/api/v1/cluster"))
        .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET /api/v1/cluster on " + via + ": " + r.statusCode());
    }
    return JSON.readTree(r.body());
  }

  /** Members with status up, and all members, as {@code via} sees them. */
  public int membersUp(NodeProcess via) throws Exception {
    int up = 0;
    for (JsonNode m : clusterView(via).get("members")) {
      up += m.get("status").asText().equals("up") ? 1 : 0;
    }
    return up;
  }

  public int members(NodeProcess via) throws Exception {
    return clusterView(via).get("members").size();
  }

  /** Shards of every entity type on {@code node}, as {@code via} sees the cluster. */
  public int shardsOn(NodeProcess via, NodeProcess node) throws Exception {
    int shards = 0;
    for (JsonNode m : clusterView(via).get("members")) {
      if (m.get("address").asText().endsWith("@" + node.clusterAddress())) {
        for (JsonNode n : m.get("shards")) {
          shards += n.asInt();
        }
      }
    }
    return shards;
  }

  /** A condition to wait for; failures to ask (a node answering 503 while the cluster changes) are "not yet". */
  public interface Check {
    boolean ok() throws Exception;
  }

  public static void await(String what, Duration timeout, Check check) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (Exception notYet) {
        // asked again below
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(250);
    }
  }

  /**
   * Every process's log tail, for a failing test's report; for one that is not running, first the
   * reason it printed when it gave up ("devflow: ..."), which is often far above the tail.
   */
  public String logs(int charsEach) throws IOException {
    StringBuilder b = new StringBuilder();
    for (NodeProcess p : processes.values()) {
      b.append("---- ").append(p).append(p.isAlive() ? "" : " (not running)").append('\n');
      if (!p.isAlive() && Files.exists(p.log())) {
        Files.readAllLines(p.log()).stream().filter(l -> l.startsWith("devflow: "))
            .forEach(l -> b.append(l).append('\n'));
      }
      b.append(p.logTail(charsEach)).append('\n');
    }
    return b.toString();
  }

  /** Kills every process (kill -9) and stops the database. */
  @Override
  public void close() throws IOException {
    for (NodeProcess p : processes.values()) {
      if (p.isAlive()) {
        try {
          p.thaw();
          p.kill();
        } catch (Exception ignored) {
          // best effort: the database stops next either way
        }
      }
    }
    db.close();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
