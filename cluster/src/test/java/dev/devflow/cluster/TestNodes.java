package dev.devflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starting real nodes inside the test JVM (several may share it). */
final class TestNodes {

  private TestNodes() {}

  /**
   * The master key of test nodes: nodes of one test share a database from different homes, so they
   * share a key the way a real cluster does (DEVFLOW_MASTER_KEY), not one generated per home.
   */
  static final String MASTER_KEY = "ZGV2Zmxvdy10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM=";

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Options for a node with all roles on {@code home}; the embedded database unless dbUrl is set. */
  static Map<String, Object> options(Path home) {
    Map<String, Object> o = new HashMap<>();
    o.put("devflow.home", home.toString());
    o.put("devflow.http.port", 0);
    o.put("devflow.cluster.port", 0);
    o.put("devflow.cluster.seeds", "");
    o.put("devflow.secrets.master-key", MASTER_KEY);
    // Every test calls from 127.0.0.1, many of them with bad tokens on purpose; the back-off
    // after failed logins has its own test.
    o.put("devflow.http.auth-failures.max", 1_000_000);
    // Several nodes per JVM, each stopped by its test rather than by the JVM's exit.
    o.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    o.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    return o;
  }

  static RunningNode start(Map<String, Object> options) throws Exception {
    RunningNode node = Node.start(options, null);
    node.httpPort().get(60, TimeUnit.SECONDS);
    return node;
  }
}
