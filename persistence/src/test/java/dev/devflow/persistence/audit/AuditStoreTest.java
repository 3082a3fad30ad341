package dev.devflow.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log table: newest first, filters, paging by cursor, tenants apart. */
class AuditStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static AuditStore audit;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
    audit = new AuditStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  static AuditQuery all(int limit) {
    return new AuditQuery(null, null, null, null, null, null, null, limit);
  }

  @Test
  void filtersAndPages() {
    Instant start = Instant.now().minusSeconds(1);
    List<AuditEntry> entries = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      entries.add(AuditEntry.of("acme", "tok" + (i % 2), "ci-bot", i % 5 == 0 ? "secret.put" : "repo.create",
          "repos/r" + i, "127.0.0.1", i == 3 ? 403 : 201));
    }
    entries.add(AuditEntry.of("other", "tokx", "x", "secret.put", "secrets/A", "10.0.0.1", 204));
    entries.add(AuditEntry.of(null, "admin", "admin", "tenant.create", "tenants/acme", "127.0.0.1", 201));
    audit.append(entries);

    List<AuditEntry> page1 = audit.read("acme", all(10));
    assertEquals(10, page1.size());
    assertEquals("repos/r24", page1.get(0).resource(), "newest first");
    List<AuditEntry> page3 = audit.read("acme", new AuditQuery(null, null, null, null, null, null,
        audit.read("acme", all(20)).get(19).id(), 10));
    assertEquals(List.of("repos/r4", "repos/r3", "repos/r2", "repos/r1", "repos/r0"),
        page3.stream().map(AuditEntry::resource).toList());

    assertEquals(5, audit.read("acme", new AuditQuery("secret.put", null, null, null, null, null, null, 100)).size());
    assertEquals(13, audit.read("acme", new AuditQuery(null, "tok0", null, null, null, null, null, 100)).size());
    assertEquals(List.of("repos/r3"), audit.read("acme", new AuditQuery(null, null, null, "denied", null, null, null,
        100)).stream().map(AuditEntry::resource).toList());
    assertEquals(11, audit.read("acme", new AuditQuery(null, null, "repos/r1", null, null, null, null, 100)).size());
    assertEquals(0, audit.read("acme", new AuditQuery(null, null, null, null, Instant.now().plusSeconds(60), null,
        null, 100)).size());
    assertEquals(25, audit.read("acme", new AuditQuery(null, null, null, null, start, null, null, 100)).size());
    assertEquals(List.of("tenant.create"), audit.read(null, all(10)).stream().map(AuditEntry::action).toList());
    assertEquals(1, audit.read("other", all(10)).size());
  }
}
