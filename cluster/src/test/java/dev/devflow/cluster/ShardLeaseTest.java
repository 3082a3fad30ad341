package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.EmbeddedDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards and singletons run only under a lease held in PostgreSQL (PostgresLease): two core nodes
 * on one database hold the leases of what they run; a shard that moves to the node that joined
 * (rebalance) takes over the lease its old node released; and a node that leaves hands its leases
 * over with its shards, so its entities answer on the other node.
 */
class ShardLeaseTest {

  @TempDir Path dir;

  @Test
  void shardsAndSingletonsRunUnderLeasesThatMoveWithThem() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seedPort = TestNodes.freePort();
      try (RunningNode a = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 0, seedPort, "api,core"))) {
        Api viaA = new Api(a.baseUrl());
        String admin = a.createdAdminToken().orElseThrow();
        // Tenants over many shards, all on a while it is alone; b gets its share by rebalance, so
        // each shard that moves must take over the lease a held (released when a stops it).
        for (int i = 0; i < 30; i++) {
          viaA.tenantWithToken(admin, "t" + i, "admin");
        }
        RunningNode b = TestNodes.start(ExternalDbNodes.sharedOptions(dir, db, 1, seedPort, "api,core"));
        try {
          await("two members up", 60, () -> viaA.get("/api/v1/cluster", admin).json().path("members").size() == 2);
          try {
            await("shard leases held by both nodes", 60, () -> leasesByOwner(db, "-shard-").size() == 2);
          } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the leases: " + leases(db), e);
          }
          Map<String, Integer> singletons = leasesByOwner(db, "-singleton-");
          assertTrue(singletons.values().stream().mapToInt(Integer::intValue).sum() >= 3,
              "the feed projection, the webhook dispatcher and the shard coordinators hold leases: " + singletons);
          assertEquals(Map.of(), leasesByOwner(db, "-shard-").entrySet().stream()
              .filter(e -> !e.getKey().matches("devflow@127\\.0\\.0\\.1:\\d+#-?\\d+"))
              .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
              "every owner is a node incarnation (address#uid)");
        } finally {
          b.close();
        }
        // b left cleanly: it released its leases, and a took over its shards under new ones.
        await("only a holds leases", 60, () -> leasesByOwner(db, "").size() == 1);
        for (int i = 0; i < 30; i++) {
          assertEquals(200, viaA.get("/api/v1/tenants/t" + i, admin).status(), "tenant t" + i + " through a");
        }
      }
    }
  }

  /** Every lease row and every owner's heartbeat, for a failure's message. */
  private static String leases(EmbeddedDatabase db) throws Exception {
    try (Connection c = DriverManager.getConnection(db.settings().url(), db.settings().user(), db.settings().password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name || ' ' || owner || ' ' || acquired_at FROM cluster_lease UNION ALL "
            + "SELECT 'owner ' || owner || ' expires ' || expires_at || ' now ' || now() FROM lease_owner")) {
      StringBuilder out = new StringBuilder();
      while (rs.next()) {
        out.append('\n').append(rs.getString(1));
      }
      return out.toString();
    }
  }

  /** Number of leases per owner whose name contains {@code part}. */
  private static Map<String, Integer> leasesByOwner(EmbeddedDatabase db, String part) throws Exception {
    try (Connection c = DriverManager.getConnection(db.settings().url(), db.settings().user(), db.settings().password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT owner, name FROM cluster_lease")) {
      Map<String, Integer> out = new HashMap<>();
      while (rs.next()) {
        if (rs.getString(2).contains(part)) {
          out.merge(rs.getString(1), 1, Integer::sum);
        }
      }
      return out;
    }
  }
}
