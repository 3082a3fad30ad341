package dev.devflow.bench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster bootstrap through the Kubernetes API ({@code --bootstrap kubernetes-api}) with real node
 * processes and Pekko Management's real discovery and bootstrap; only the Kubernetes API server is
 * a stand-in ({@link FakeKubernetesApi}), listing three node pods. The three nodes, started
 * together with no seeds, form one cluster. The founder (the lowest contact point), killed and
 * started again, joins the running cluster instead of founding a second one. A runner, which is
 * not among the listed pods, joins too.
 */
class KubernetesBootstrapTest {

  static final Duration READY = Duration.ofSeconds(120);
  static final String SELECTOR = "app.kubernetes.io/name=devflow,app.kubernetes.io/component=node";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir; // a failure's node logs stay for a look

  @Test
  void podsListedByTheApiFormOneClusterThatARestartedFounderAndARunnerJoin() throws Exception {
    try (FakeKubernetesApi api = FakeKubernetesApi.start(dir, "devflow", SELECTOR);
        ClusterHarness cluster = ClusterHarness.start(dir, 0)) {
      try {
        run(api, cluster);
      } catch (Throwable t) {
        System.out.println(cluster.logs(6000));
        throw t;
      }
    }
  }

  private void run(FakeKubernetesApi api, ClusterHarness cluster) throws Exception {
    cluster.set("KUBERNETES_SERVICE_HOST", "127.0.0.1");
    cluster.set("KUBERNETES_SERVICE_PORT", String.valueOf(api.port()));
    cluster.set("JAVA_TOOL_OPTIONS", api.javaOptions());
    Map<Integer, NodeProcess> byManagementPort = new TreeMap<>();
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      int management = ClusterHarness.freePort();
      api.addPod("devflow-node-" + i, management);
      NodeProcess n = cluster.node("node" + i, "api,core", "--bootstrap", "kubernetes-api", "--bootstrap-expect", "3",
          "--management-port", String.valueOf(management));
      nodes.add(n);
      byManagementPort.put(management, n);
    }
    long started = System.nanoTime();
    for (NodeProcess n : nodes) {
      n.awaitReady(READY);
    }
    for (NodeProcess n : nodes) {
      ClusterHarness.await(n.name() + " sees 3 members up", Duration.ofSeconds(60), () -> cluster.membersUp(n) == 3);
    }
    System.out.printf("bootstrap: 3 nodes formed one cluster %d ms after they were started%n",
        (System.nanoTime() - started) / 1_000_000);

    // All on 127.0.0.1, so the lowest contact point is the lowest management port: the founder.
    NodeProcess founder = byManagementPort.values().iterator().next();
    List<NodeProcess> others = nodes.stream().filter(n -> n != founder).toList();
    founder.kill();
    founder.start().awaitReady(READY);
    for (NodeProcess n : nodes) {
      ClusterHarness.await(n.name() + " sees 3 members up after " + founder.name() + " came back",
          Duration.ofSeconds(90), () -> cluster.membersUp(n) == 3 && cluster.members(n) == 3);
    }

    NodeProcess runner = cluster.runner("runner1", "--bootstrap", "kubernetes-api", "--management-port",
        String.valueOf(ClusterHarness.freePort()));
    ClusterHarness.await("runner1 joined", Duration.ofSeconds(90), () -> cluster.membersUp(others.get(0)) == 4);
    assertTrue(runner.isAlive(), "runner1 is running");

    assertEquals(List.of(), api.refused(), "requests the Kubernetes API refused");
    assertTrue(api.listed() > 0, "the nodes listed their pods through the API");
  }
}
