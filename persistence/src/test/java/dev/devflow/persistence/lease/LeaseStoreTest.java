package dev.devflow.persistence.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases on the embedded PostgreSQL, with two owners on two connections as two nodes would be. */
class LeaseStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static LeaseStore a;
  static LeaseStore b;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    try (Database db = Database.open(pg.settings(), 2)) {
      Migrations.migrate(db);
    }
    a = new LeaseStore(pg.settings(), Duration.ofMillis(1500), Duration.ofSeconds(5));
    b = new LeaseStore(pg.settings(), Duration.ofMillis(1500), Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() throws Exception {
    a.close();
    b.close();
    pg.close();
  }

  @Test
  void aLeaseHasOneOwnerWhileItsOwnerIsAliveAndAnyAfter() throws Exception {
    a.heartbeat("a#1");
    b.heartbeat("b#1");
    assertTrue(a.acquire("shard-1", "a#1"));
    assertTrue(a.acquire("shard-1", "a#1"), "the holder may ask again");
    assertFalse(b.acquire("shard-1", "b#1"), "held by a live owner");
    assertEquals(Set.of("shard-1"), a.held("a#1"));

    // a stops renewing (crashed, frozen or cut off); b keeps renewing.
    long until = System.nanoTime() + Duration.ofMillis(2500).toNanos();
    while (System.nanoTime() < until) {
      b.heartbeat("b#1");
      Thread.sleep(200);
    }
    assertTrue(b.acquire("shard-1", "b#1"), "an expired owner's lease is free");
    assertEquals(Set.of(), a.held("a#1"), "a learns at its next check that it lost it");
    a.heartbeat("a#1");
    assertFalse(a.acquire("shard-1", "a#1"), "alive again, a cannot take it back");
    assertFalse(a.release("shard-1", "a#1"), "nor release what it no longer holds");
    assertEquals(Set.of("shard-1"), b.held("b#1"));
  }

  @Test
  void aRetiredOwnersLeasesAreFreeAtOnce() {
    a.heartbeat("a#2");
    b.heartbeat("b#2");
    assertTrue(a.acquire("singleton-x", "a#2"));
    assertTrue(a.acquire("shard-2", "a#2"));
    assertTrue(a.release("shard-2", "a#2"));
    assertTrue(b.acquire("shard-2", "b#2"), "released: free at once");
    assertFalse(b.acquire("singleton-x", "b#2"));
    a.retire("a#2");
    assertTrue(b.acquire("singleton-x", "b#2"), "a node that shut down cleanly holds nothing");
  }

  @Test
  void aLostConnectionIsOpenedAgainOnTheNextCall() throws Exception {
    a.heartbeat("a#3");
    a.close(); // as if the database had dropped it
    a.heartbeat("a#3");
    assertTrue(a.acquire("shard-3", "a#3"));
  }
}
