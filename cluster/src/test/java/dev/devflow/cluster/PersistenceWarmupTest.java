package dev.devflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up replay on a real node: it reads real entities' events and leaves them as they were. */
class PersistenceWarmupTest {

  @TempDir static Path home;
  static RunningNode node;
  static Api api;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.options(home));
    api = new Api(node.baseUrl());
    token = api.tenantWithToken(node.createdAdminToken().orElseThrow(), "acme", "admin");
    assertEquals(201, api.call("POST", "/api/v1/tenants/acme/repos", token, "{\"name\":\"web\"}").status());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void replaysOneEntityOfEachTypeAndWritesNothing() throws Exception {
    long rowsBefore = journalRows();
    PersistenceWarmup.Result r = PersistenceWarmup.run(node.system(), node.database(), Duration.ofSeconds(30))
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    // The tenant (created, then a token issued) and the repository at least.
    assertTrue(r.entities() >= 2, r.toString());
    assertTrue(r.events() >= 3, r.toString());
    assertEquals(rowsBefore, journalRows(), "a replay must not write");
    assertEquals(200, api.call("PATCH", "/api/v1/tenants/acme/repos/web", token, "{\"description\":\"after\"}").status(),
        "the real entity still takes writes after another actor replayed its events");
  }

  private static long journalRows() throws Exception {
    try (var c = node.database().dataSource().getConnection();
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM event_journal")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
