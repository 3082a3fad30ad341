package dev.devflow.persistence.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feed table and the journal reader on a real PostgreSQL: ids per tenant, the offset moving in
 * the same transaction, and the journal-gap rule that keeps the projection from skipping a row
 * whose transaction has not committed yet.
 */
class FeedStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static FeedStore feed;
  static JournalTail tail;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    feed = new FeedStore(db);
    tail = new JournalTail(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  static FeedDraft draft(long ordering, int index, String tenant) {
    return new FeedDraft(ordering, index, tenant, "repo.created", "{\"tenant\":\"" + tenant + "\"}", Instant.now());
  }

  @Test
  void idsArePerTenantAndTheOffsetMovesWithTheEntries() {
    assertEquals(OptionalLong.empty(), feed.offset("t1"));
    List<FeedRecord> first = feed.append("t1", 0, 3, List.of(draft(1, 0, "a1"), draft(2, 0, "b1"), draft(3, 0, "a1"), draft(3, 1, "a1")));
    assertEquals(List.of(1L, 1L, 2L, 3L), first.stream().map(FeedRecord::id).toList());
    assertEquals(OptionalLong.of(3), feed.offset("t1"));
    List<FeedRecord> second = feed.append("t1", 3, 4, List.of(draft(4, 0, "b1")));
    assertEquals(2L, second.get(0).id());
    assertEquals(3L, feed.lastId("a1"));
    assertEquals(0L, feed.lastId("nobody"));
    assertEquals(List.of(2L, 3L), feed.read("a1", 1, Long.MAX_VALUE, 10).stream().map(FeedRecord::id).toList());
    assertEquals(List.of(2L), feed.read("a1", 1, 2, 10).stream().map(FeedRecord::id).toList());
  }

  @Test
  void unsourcedEntriesShareTheTenantsIdsAndLeaveTheOffsetAlone() {
    feed.append("t5", 0, 30, List.of(draft(30, 0, "a5")));
    List<FeedRecord> out = feed.appendUnsourced(List.of(
        FeedDraft.unsourced("a5", "instance.output", "{\"lines\":[\"one\"]}", Instant.now()),
        FeedDraft.unsourced("a5", "instance.output", "{\"lines\":[\"two\"]}", Instant.now())));
    assertEquals(List.of(2L, 3L), out.stream().map(FeedRecord::id).toList());
    assertEquals(OptionalLong.of(30), feed.offset("t5"));
    feed.append("t5", 30, 31, List.of(draft(31, 0, "a5")));
    assertEquals(List.of("repo.created", "instance.output", "instance.output", "repo.created"),
        feed.read("a5", 0, Long.MAX_VALUE, 10).stream().map(FeedRecord::type).toList());
    // The journal follower never sees them: they have no journal row.
    assertTrue(feed.afterSource(List.of("instance.output"), 0, 10).isEmpty());
  }

  @Test
  void aStaleOffsetWritesNothing() {
    feed.append("t2", 0, 10, List.of(draft(10, 0, "a2")));
    assertThrows(FeedStore.OffsetMovedException.class, () -> feed.append("t2", 5, 11, List.of(draft(11, 0, "a2"))));
    assertEquals(1L, feed.lastId("a2"));
    assertEquals(OptionalLong.of(10), feed.offset("t2"));
  }

  @Test
  void theSameJournalRowCannotBecomeTwoEntries() {
    feed.append("t3", 0, 20, List.of(draft(20, 0, "a3")));
    assertThrows(StoreException.class, () -> feed.append("t4", 0, 20, List.of(draft(20, 0, "a3"))));
    assertEquals(1L, feed.lastId("a3"));
  }

  @Test
  void aGapIsWaitedForWhileItsTransactionIsOpenAndSkippedOnceItRolledBack() throws Exception {
    long before = maxOrdering();
    try (Connection open = db.dataSource().getConnection()) {
      open.setAutoCommit(false);
      insertJournalRow(open, "Gap|open", 1);          // draws before + 1, not committed
      try (Connection c = db.dataSource().getConnection()) {
        insertJournalRow(c, "Gap|later", 1);          // before + 2, committed
      }
      JournalTail.Batch batch = tail.after(before, 10, List.of("Gap"));
      assertEquals(List.of(before + 2), batch.rows().stream().map(JournalRow::ordering).toList());
      assertTrue(tail.mayStillAppear(before, before + 2, batch.readAt()), "open transaction: wait");
      open.rollback();
      assertFalse(tail.mayStillAppear(before, before + 2, batch.readAt()), "rolled back: gone for good");
    }
  }

  @Test
  void aGapThatCommitsIsSeen() throws Exception {
    long before = maxOrdering();
    try (Connection open = db.dataSource().getConnection()) {
      open.setAutoCommit(false);
      insertJournalRow(open, "Gap|slow", 1);
      try (Connection c = db.dataSource().getConnection()) {
        insertJournalRow(c, "Gap|fast", 1);
      }
      JournalTail.Batch batch = tail.after(before, 10, List.of("Gap"));
      open.commit();
      assertTrue(tail.mayStillAppear(before, before + 2, batch.readAt()));
      assertEquals(List.of(before + 1, before + 2),
          tail.after(before, 10, List.of("Gap")).rows().stream().map(JournalRow::ordering).toList());
    }
  }

  @Test
  void payloadsAreReadOnlyForTheAskedEntityTypes() throws Exception {
    long before = maxOrdering();
    try (Connection c = db.dataSource().getConnection()) {
      insertJournalRow(c, "Wanted|x", 1);
      insertJournalRow(c, "Other|y", 1);
    }
    List<JournalRow> rows = tail.after(before, 10, List.of("Wanted")).rows();
    assertEquals(2, rows.size());
    assertEquals(1, rows.get(0).payload().length);
    assertEquals(null, rows.get(1).payload());
  }

  private static long maxOrdering() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM event_journal_ordering_seq");
        var rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void insertJournalRow(Connection c, String pid, long seq) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp, event_ser_id, "
            + "event_ser_manifest, event_payload) VALUES (?, ?, 'test', 0, 1, '', '\\x01')")) {
      ps.setString(1, pid);
      ps.setLong(2, seq);
      ps.executeUpdate();
    }
  }
}
