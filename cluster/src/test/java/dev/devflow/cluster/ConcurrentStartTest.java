package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes started at the same moment on one empty external database: migrations run once,
 * exactly one node creates the admin token, the three form one cluster, and a tenant written
 * through one node is read through another (commands and replies cross nodes).
 */
class ConcurrentStartTest {

  @TempDir Path dir;

  @Test
  void threeNodesStartTogetherOnOneDatabase() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seedPort = TestNodes.freePort();
      List<Callable<RunningNode>> starts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Map<String, Object> o = TestNodes.options(dir.resolve("node" + i));
        o.put("devflow.db.url", db.settings().url());
        o.put("devflow.db.user", db.settings().user());
        o.put("devflow.db.password", db.settings().password());
        o.put("devflow.cluster.port", i == 0 ? seedPort : TestNodes.freePort());
        o.put("devflow.cluster.seeds", "127.0.0.1:" + seedPort);
        starts.add(() -> TestNodes.start(o));
      }
      ExecutorService pool = Executors.newFixedThreadPool(3);
      List<RunningNode> nodes = new ArrayList<>();
      try {
        for (Future<RunningNode> f : pool.invokeAll(starts)) {
          nodes.add(f.get());
        }
        List<String> created = nodes.stream().flatMap(n -> n.createdAdminToken().stream()).toList();
        assertEquals(1, created.size(), "exactly one node creates the admin token");
        String admin = created.get(0);

        try (Connection c = DriverManager.getConnection(db.settings().url(), "postgres", "postgres");
            ResultSet rs = c.createStatement().executeQuery(
                "SELECT version, count(*) FROM devflow_schema_history WHERE success GROUP BY version ORDER BY version")) {
          int versions = 0;
          while (rs.next()) {
            assertEquals(1, rs.getInt(2), "migration " + rs.getString(1) + " ran once");
            versions++;
          }
          assertTrue(versions >= 2);
        }

        Api first = new Api(nodes.get(0).baseUrl());
        Api third = new Api(nodes.get(2).baseUrl());
        waitForMembers(first, admin, 3);
        for (RunningNode n : nodes) {
          waitReady(new Api(n.baseUrl()));
        }
        String token = first.tenantWithToken(admin, "acme", "read");
        for (RunningNode n : nodes) {
          Api api = new Api(n.baseUrl());
          Api.Response r = api.get("/api/v1/tenants/acme", token);
          assertEquals(200, r.status(), r.body());
        }
        assertEquals(200, third.get("/api/v1/tenants/acme/tokens", admin).status());

        // Revoked through the first node, refused by the third within the promised second, even
        // though the third had just accepted (and cached) it.
        Api.Response issued = first.post("/api/v1/tenants/acme/tokens", admin, "{\"name\":\"r\",\"role\":\"read\"}");
        String revocable = issued.json().get("token").asText();
        assertEquals(200, third.get("/api/v1/tenants/acme", revocable).status());
        assertEquals(204, first.call("DELETE", "/api/v1/tenants/acme/tokens/" + issued.json().get("id").asText(), admin, null).status());
        long revokedAt = System.nanoTime();
        while (third.get("/api/v1/tenants/acme", revocable).status() != 401) {
          assertTrue(System.nanoTime() - revokedAt < 1_000_000_000L, "revocation reached the third node within 1 s");
          Thread.sleep(20);
        }
      } finally {
        pool.shutdown();
        for (RunningNode n : nodes) {
          n.close();
        }
      }
    }
  }

  /** A node is ready once it sees itself Up, which can lag behind the leader's view. */
  private static void waitReady(Api api) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (api.get("/health/ready", null).status() != 200) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("node never became ready");
      }
      Thread.sleep(100);
    }
  }

  private static void waitForMembers(Api api, String admin, int n) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      Api.Response r = api.get("/api/v1/cluster", admin);
      if (r.status() == 200) {
        long up = 0;
        for (var m : r.json().get("members")) {
          if (m.get("status").asText().equals("up")) {
            up++;
          }
        }
        if (up == n) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("cluster never had " + n + " members up");
  }
}
