package dev.devflow.bench.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code devflow node} or {@code devflow runner} process of a {@link ClusterHarness}: its
 * ports, home and log stay the same across restarts, so a restarted node is the same member
 * coming back (a new incarnation at the same address).
 */
public final class NodeProcess {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ClusterHarness cluster;
  private final String name;
  private final List<String> args;
  private final String clusterHost;
  private final int clusterPort;
  private final int httpPort;
  private Process process;
  private int starts;

  NodeProcess(ClusterHarness cluster, String name, List<String> args, String clusterHost, int clusterPort,
      int httpPort) {
    this.cluster = cluster;
    this.name = name;
    this.args = List.copyOf(args);
    this.clusterHost = clusterHost;
    this.clusterPort = clusterPort;
    this.httpPort = httpPort;
  }

  public String name() {
    return name;
  }

  /** 0 for a runner (no HTTP). */
  public int httpPort() {
    return httpPort;
  }

  public int clusterPort() {
    return clusterPort;
  }

  /**
   * {@code host:port} of its cluster address, as members are listed ({@code pekko://devflow@}
   * before it): nodes on different loopback addresses may share a port, so the port alone does
   * not tell them apart.
   */
  public String clusterAddress() {
    return clusterHost + ":" + clusterPort;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  public Path log() {
    return cluster.dir().resolve(name + ".log");
  }

  /** Starts (or starts again) the process; its output is appended to {@link #log()}. */
  public synchronized NodeProcess start() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException(name + " is running");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx320m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.devflow.cluster.Main");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("DEVFLOW_"));
    pb.environment().putAll(cluster.environment());
    Files.writeString(log(), "==== start " + (++starts) + " ====\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    process = pb.start();
    return this;
  }

  /** Waits for {@code /health/ready} (a node with the api role) or for the process to be up. */
  public NodeProcess awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log());
      }
      if (httpPort == 0 || ready()) {
        return this;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(name + " not ready within " + timeout + "; see " + log());
  }

  public boolean ready() {
    try {
      HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** kill -9: no shutdown hook, no leaving, the JVM is simply gone. */
  public void kill() throws Exception {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the process freezes (a long GC pause, a hung VM), sockets stay open. */
  public void freeze() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze}. */
  public void thaw() throws Exception {
    signal("CONT");
  }

  /** SIGTERM and the exit code once it has left (graceful leave: shards handed over, HTTP drained). */
  public int terminate(Duration timeout) throws Exception {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " did not exit within " + timeout + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** Waits for the process to exit by itself; its exit code, or -1 when it is still running. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  private void signal(String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed");
    }
  }

  /** The last {@code chars} of the log. */
  public String logTail(int chars) throws IOException {
    if (!Files.exists(log())) {
      return "";
    }
    String text = Files.readString(log());
    return text.substring(Math.max(0, text.length() - chars));
  }

  @Override
  public String toString() {
    return name + (httpPort == 0 ? "" : " (http " + httpPort + ")") + " cluster " + clusterPort;
  }

}
