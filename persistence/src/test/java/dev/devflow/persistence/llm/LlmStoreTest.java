package dev.devflow.persistence.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import java.nio.file.Path;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LLM cache (expiry, replacement, purge) and usage sums per tenant, agent and month. */
class LlmStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static LlmStore store;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    store = new LlmStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  @Test
  void cacheExpiresAndIsReplaced() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    store.cache("a".repeat(64), new CachedAnswer("m1", "old"), now, now.plusSeconds(60));
    assertEquals(Optional.of(new CachedAnswer("m1", "old")), store.cached("a".repeat(64), now.plusSeconds(59)));
    assertEquals(Optional.empty(), store.cached("a".repeat(64), now.plusSeconds(60)));

    store.cache("a".repeat(64), new CachedAnswer("m2", "new"), now, now.plusSeconds(60));
    assertEquals(Optional.of(new CachedAnswer("m2", "new")), store.cached("a".repeat(64), now));

    // A write after expiry purges the expired row (the new one stays).
    store.cache("b".repeat(64), new CachedAnswer("m1", "b"), now.plusSeconds(120), now.plusSeconds(180));
    assertEquals(Optional.empty(), store.cached("a".repeat(64), Instant.EPOCH));
    assertEquals(Optional.of(new CachedAnswer("m1", "b")), store.cached("b".repeat(64), now.plusSeconds(120)));
  }

  @Test
  void usageSumsPerTenantAgentAndMonth() {
    YearMonth may = YearMonth.of(2031, 5);
    store.recordCall("u1", "reviewer", may, "m1", 100, 10, 0.25);
    store.recordCall("u1", "reviewer", may, "m1", 50, 5, 0.125);
    store.recordCall("u1", "reviewer", may, "m2", 1, 1, 1.0);
    store.recordCall("u1", null, may, "emb", 7, 0, 0.5);
    store.recordCacheHit("u1", "reviewer", may, "m1");
    store.recordCall("u1", "reviewer", may.plusMonths(1), "m1", 1000, 1000, 9);
    store.recordCall("u2", "reviewer", may, "m1", 1000, 1000, 9);

    assertEquals(new LlmUsage(1.375, 151, 16, 3, 1), store.usage("u1", "reviewer", may));
    assertEquals(new LlmUsage(0.5, 7, 0, 1, 0), store.usage("u1", "", may));
    assertEquals(new LlmUsage(1.875, 158, 16, 4, 1), store.usage("u1", null, may));
    assertEquals(LlmUsage.NONE, store.usage("u3", null, may));
  }
}
