package dev.devflow.persistence.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job log table on a real PostgreSQL: chunk order, paging, attempts, and one write per seq. */
class JobLogStoreTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static JobLogStore logs;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    logs = new JobLogStore(db.dataSource());
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  @Test
  void chunksAreReadBackInOrderAndPaged() {
    String job = "acme/web/42/build-2";
    Instant before = Instant.now().minus(Duration.ofMinutes(1));
    assertEquals(1, logs.append(job, 1, 1, "one\n"));
    assertEquals(3, logs.append(job, 1, 3, "three\n"));
    assertEquals(2, logs.append(job, 1, 2, "two\nzwei\n"));
    List<LogChunk> all = logs.read(job, 1, 0, 10);
    assertEquals(List.of(1, 2, 3), all.stream().map(LogChunk::seq).toList());
    assertEquals(List.of("one\n", "two\nzwei\n", "three\n"), all.stream().map(LogChunk::body).toList());
    assertTrue(all.get(0).at().isAfter(before), "at defaults to the time of the insert");
    assertEquals(List.of(2), logs.read(job, 1, 1, 1).stream().map(LogChunk::seq).toList());
    assertEquals(List.of(), logs.read(job, 1, 3, 10));
    assertEquals(List.of(), logs.read(job, 2, 0, 10));
  }

  @Test
  void theSameChunkCannotBeWrittenTwice() {
    String job = "acme/web/43/test";
    logs.append(job, 1, 1, "first\n");
    assertThrows(StoreException.class, () -> logs.append(job, 1, 1, "again\n"));
    assertEquals(List.of("first\n"), logs.read(job, 1, 0, 10).stream().map(LogChunk::body).toList());
    assertThrows(IllegalArgumentException.class, () -> logs.append(job, 1, 0, "zero\n"));
  }

  @Test
  void bytesIsTheUtf8LengthOfTheBody() throws Exception {
    String job = "acme/web/44/utf8";
    logs.append(job, 1, 1, "é€😀\n");
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT bytes FROM job_log WHERE job = ?")) {
      ps.setString(1, job);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(2 + 3 + 4 + 1, rs.getInt(1));
      }
    }
  }

  @Test
  void latestAttemptAndDeleteCoverEveryAttempt() {
    String job = "acme/api/7/deploy";
    assertEquals(0, logs.latestAttempt(job));
    logs.append(job, 1, 1, "a\n");
    logs.append(job, 3, 1, "c\n");
    logs.append(job, 2, 1, "b\n");
    logs.append("acme/api/7/deploy-other", 9, 1, "other\n");
    assertEquals(3, logs.latestAttempt(job));
    logs.delete(job);
    assertEquals(0, logs.latestAttempt(job));
    assertEquals(List.of(), logs.read(job, 1, 0, 10));
    assertEquals(9, logs.latestAttempt("acme/api/7/deploy-other"), "another job is untouched");
  }
}
