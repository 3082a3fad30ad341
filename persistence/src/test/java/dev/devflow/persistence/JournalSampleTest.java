package dev.devflow.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which entities a starting node replays, chosen from a real journal table. */
class JournalSampleTest {

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 2);
    Migrations.migrate(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  @Test
  void oneEntityPerTypeTheLongestWithinTheLimitOrElseTheShortest() throws SQLException {
    assertEquals(List.of(), new JournalSample(db).perType(100, 5));
    write("Tenant|old", 5); // the best choice, but written before the window below
    write("Tenant|a", 2);
    write("Tenant|b", 4);
    write("Tenant|c", 9); // over the limit
    write("Repository|x/long", 8);
    write("Repository|x/longer", 12); // both over the limit: the shorter one
    write("JobQueue|queue", 1);
    assertEquals(List.of("JobQueue|queue", "Repository|x/long", "Tenant|b"),
        new JournalSample(db).perType(2 + 4 + 9 + 8 + 12 + 1, 5));
  }

  private static void write(String persistenceId, int events) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp, event_ser_id, "
                + "event_ser_manifest, event_payload) VALUES (?, ?, 'test', 0, 1, '', '\\x00'::bytea)")) {
      for (int n = 1; n <= events; n++) {
        ps.setString(1, persistenceId);
        ps.setLong(2, n);
        ps.executeUpdate();
      }
    }
  }
}
