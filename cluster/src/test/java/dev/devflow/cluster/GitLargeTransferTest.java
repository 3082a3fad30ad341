package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MB push and clone through a node running with a 256 MiB heap: packs are streamed in both
 * directions, never held in memory. Random content, so git cannot compress it away.
 */
class GitLargeTransferTest {

  @TempDir Path dir;

  @Test
  void twoHundredMegabytesPushAndCloneAtXmx256m() throws Exception {
    int port = TestNodes.freePort();
    Path home = dir.resolve("home");
    Path out = dir.resolve("node.out");
    Process node = TestProcesses.devflow(Map.of(), out, "start", "--home", home.toString(), "--port", Integer.toString(port));
    try {
      TestProcesses.waitReady(port, node, out);
      Api api = new Api("http://127.0.0.1:" + port);
      String admin = Files.readString(home.resolve("admin-token")).trim();
      String token = api.tenantWithToken(admin, "acme", "write");
      assertEquals(201, api.post("/api/v1/tenants/acme/repos", token, "{\"name\":\"big\"}").status());
      String url = "http://x:" + token + "@127.0.0.1:" + port + "/git/acme/big.git";

      Path work = dir.resolve("work");
      GitInteropTest.ok(dir, "init", "-q", "-b", "main", work.toString());
      Random random = new Random(42);
      byte[] chunk = new byte[1 << 20];
      for (int f = 0; f < 4; f++) {
        try (OutputStream o = Files.newOutputStream(work.resolve("blob" + f + ".bin"))) {
          for (int mb = 0; mb < 50; mb++) {
            random.nextBytes(chunk);
            o.write(chunk);
          }
        }
      }
      GitInteropTest.ok(work, "add", ".");
      GitInteropTest.ok(work, "commit", "-q", "-m", "200 MB");
      GitInteropTest.ok(work, "push", "-q", url, "HEAD:main");

      Path clone = dir.resolve("clone");
      GitInteropTest.ok(dir, "clone", "-q", url, clone.toString());
      for (int f = 0; f < 4; f++) {
        assertEquals(Files.mismatch(work.resolve("blob" + f + ".bin"), clone.resolve("blob" + f + ".bin")), -1L);
      }
      GitInteropTest.ok(home.resolve("git/acme/big.git"), "fsck", "--strict");
      assertTrue(node.isAlive(), "the node survived");
      assertTrue(!Files.readString(out).contains("OutOfMemoryError"));
    } finally {
      node.destroy();
      node.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
