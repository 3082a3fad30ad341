package dev.devflow.bench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeds from DNS, the way pods behind a headless service find each other: three real node
 * processes on 127.0.0.1, .2 and .3 sharing one cluster port, and a name that resolves to all
 * three. The JVMs' own resolver reads a hosts file ({@code jdk.net.hosts.file}) in place of the
 * cluster's DNS server. The nodes start founder last, and form one cluster; then the founder (the
 * lowest address, first in every node's list) is killed and started again, and it must join the
 * running cluster rather than found a second one.
 */
class DnsSeedsClusterTest {

  static final Duration READY = Duration.ofSeconds(120);
  static final String NAME = "devflow-seeds.test";

  @TempDir Path dir;

  @Test
  void nodesFindEachOtherThroughOneNameAndARestartedFounderRejoins() throws Exception {
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, String.join("\n",
        "127.0.0.1 localhost " + InetAddress.getLocalHost().getHostName(),
        "127.0.0.1 " + NAME, "127.0.0.2 " + NAME, "127.0.0.3 " + NAME, ""));
    try (ClusterHarness cluster = ClusterHarness.start(dir.resolve("cluster"), 0)) {
      try {
        cluster.set("JAVA_TOOL_OPTIONS", "-Djdk.net.hosts.file=" + hosts);
        int port = ClusterHarness.freePort();
        String[] dns = {"--seeds", "", "--seed-dns", NAME, "--seed-dns-expect", "3"};
        NodeProcess n3 = cluster.nodeAt("node3", "api,core", "127.0.0.3", port, dns);
        NodeProcess n2 = cluster.nodeAt("node2", "api,core", "127.0.0.2", port, dns);
        NodeProcess n1 = cluster.nodeAt("node1", "api,core", "127.0.0.1", port, dns);
        for (NodeProcess n : List.of(n1, n2, n3)) {
          n.awaitReady(READY);
        }
        for (NodeProcess n : List.of(n1, n2, n3)) {
          assertEquals(3, cluster.membersUp(n), "members up as " + n + " sees them: one cluster of three");
        }

        n1.kill();
        ClusterHarness.await("node1 removed", Duration.ofSeconds(60), () -> cluster.members(n2) == 2);
        n1.start().awaitReady(READY);
        ClusterHarness.await("3 members up", Duration.ofSeconds(60), () -> cluster.membersUp(n2) == 3);
        assertEquals(3, cluster.membersUp(n1), "the restarted founder joined the running cluster");
      } catch (Throwable t) {
        System.out.println(cluster.logs(6000));
        throw t;
      }
    }
  }
}
