package dev.devflow.persistence.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.StoreException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The artifacts apps still need, on a real PostgreSQL: each app's set replaced whole, shared hashes counted once. */
class AppStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static AppStore store;

  static final String A = "a".repeat(64);
  static final String B = "b".repeat(64);
  static final String C = "c".repeat(64);

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    store = new AppStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  @Test
  void eachAppsSetIsReplacedWholeAndTheUnionIsInUse() {
    store.keepArtifacts("acme", "site", Set.of(A, B));
    store.keepArtifacts("acme", "api", Set.of(B));
    assertEquals(Set.of(A, B), store.artifactsInUse());
    store.keepArtifacts("acme", "site", Set.of(C));
    assertEquals(Set.of(B, C), store.artifactsInUse());
    store.keepArtifacts("acme", "api", Set.of()); // the app was deleted
    assertEquals(Set.of(C), store.artifactsInUse());
    // A failed write leaves the previous set: nothing the app needs is ever missing meanwhile.
    assertThrows(StoreException.class, () -> store.keepArtifacts("acme", "site", Set.of(A, "x".repeat(65))));
    assertEquals(Set.of(C), store.artifactsInUse());
  }
}
