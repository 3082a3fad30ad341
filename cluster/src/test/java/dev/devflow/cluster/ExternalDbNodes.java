package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Clusters of an in-JVM node and separate {@code devflow} processes (nodes, runners) on one
 * embedded PostgreSQL, for tests that kill a process with kill -9.
 */
final class ExternalDbNodes {

  interface Check {
    boolean ok() throws Exception;
  }

  private ExternalDbNodes() {}

  /** Options of the in-JVM node: the cluster's seed, on {@code db}, with the given roles. */
  static Map<String, Object> seedOptions(Path home, EmbeddedDatabase db, int seedPort, String roles) {
    Map<String, Object> o = TestNodes.options(home);
    o.put("devflow.db.url", db.settings().url());
    o.put("devflow.db.user", db.settings().user());
    o.put("devflow.db.password", db.settings().password());
    o.put("devflow.cluster.port", seedPort);
    o.put("devflow.cluster.seeds", "127.0.0.1:" + seedPort);
    o.put("devflow.cluster.roles", roles);
    return o;
  }

  /**
   * Options of in-JVM node {@code i} of a cluster on {@code db}: node 0 is the seed; all share the
   * git root and the artifact store under {@code dir}, as nodes on a shared volume do.
   */
  static Map<String, Object> sharedOptions(Path dir, EmbeddedDatabase db, int i, int seedPort, String roles) {
    Map<String, Object> o = seedOptions(dir.resolve("node" + i), db, seedPort, roles);
    o.put("devflow.cluster.port", i == 0 ? seedPort : TestNodes.freePort());
    o.put("devflow.git.root", dir.resolve("git").toString());
    o.put("devflow.deploy.blobs", dir.resolve("blobs").toString());
    return o;
  }

  /**
   * Starts {@code devflow <command>} joining the seed, home {@code dir/name}, output in {@code
   * dir/name.log}; {@code gitRoot} is the shared git storage.
   */
  static Process process(Path dir, EmbeddedDatabase db, int seedPort, Path gitRoot, String command, String name,
      String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of(command, "--seeds", "127.0.0.1:" + seedPort,
        "--cluster-port", String.valueOf(TestNodes.freePort()), "--db-url", db.settings().url(),
        "--db-user", db.settings().user(), "--db-password", db.settings().password(),
        "--home", dir.resolve(name).toString()));
    args.addAll(List.of(extra));
    return TestProcesses.devflow(Map.of("DEVFLOW_GIT_ROOT", gitRoot.toString(), "DEVFLOW_MASTER_KEY", TestNodes.MASTER_KEY),
        dir.resolve(name + ".log"),
        args.toArray(String[]::new));
  }

  /** Prints the end of each process's output (for a failing test). */
  static void printLogs(Path dir, String... names) throws Exception {
    for (String name : names) {
      for (Path log : List.of(dir.resolve(name + ".log"), dir.resolve(name + ".log.err"))) {
        if (Files.exists(log)) {
          String text = Files.readString(log);
          System.out.println("---- " + log.getFileName() + "\n" + text.substring(Math.max(0, text.length() - 20000)));
        }
      }
    }
  }

  static void await(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!check.ok()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(100);
    }
  }
}
