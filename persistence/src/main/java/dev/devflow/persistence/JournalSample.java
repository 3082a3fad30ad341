package dev.devflow.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks entities worth replaying when a node starts ({@code PersistenceWarmup} in the cluster
 * module): one persistence id per entity type ({@code "Tenant"} of {@code "Tenant|acme"}) among
 * those written to lately, the one with the longest history up to a limit: many kinds of event
 * to read, and a replay that stays cheap.
 *
 * <p>Thread-safe; blocks on JDBC.
 */
public final class JournalSample {

  private final Database db;

  public JournalSample(Database db) {
    this.db = db;
  }

  /**
   * Up to one persistence id per entity type written to within the last {@code window} journal
   * rows (by {@code ordering}, which has an index, so the read stays small on a big journal): the
   * one with the most events up to {@code maxEvents}, or else the one with the fewest.
   */
  public List<String> perType(int window, int maxEvents) {
    // An entity's newest event is in the window, so its highest sequence number there is its length.
    String sql = "SELECT DISTINCT ON (type) persistence_id FROM ("
        + "SELECT persistence_id, split_part(persistence_id, '|', 1) AS type, max(sequence_number) AS events "
        + "FROM event_journal WHERE ordering > (SELECT coalesce(max(ordering), 0) FROM event_journal) - ? "
        + "GROUP BY persistence_id) recent "
        + "ORDER BY type, CASE WHEN events <= ? THEN -events ELSE events END, persistence_id";
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, window);
      ps.setInt(2, maxEvents);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    } catch (SQLException e) {
      throw new StoreException("cannot read the event journal", e);
    }
  }
}
