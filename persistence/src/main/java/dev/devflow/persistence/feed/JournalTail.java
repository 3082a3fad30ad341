package dev.devflow.persistence.feed;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads pekko-persistence-jdbc's journal in {@code ordering} order for projections.
 *
 * <p>{@code ordering} comes from a sequence, so a row can become visible after rows with higher
 * numbers (its transaction committed later) or never (its transaction rolled back). A reader must
 * therefore not move past a missing number until it knows the number is gone for good:
 * {@link #mayStillAppear} answers that from PostgreSQL's own list of open transactions.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class JournalTail {

  /** Rows read after an offset, and the database time the read started. */
  public record Batch(List<JournalRow> rows, Instant readAt) {}

  private final Database db;

  public JournalTail(Database db) {
    this.db = db;
  }

  /**
   * Up to {@code limit} rows with {@code ordering > after}, ascending. Payloads are read only for
   * persistence ids starting with one of {@code entityTypes} ({@code "Repository"} matches
   * {@code "Repository|acme/site"}).
   */
  public Batch after(long after, int limit, List<String> entityTypes) {
    String sql =
        "SELECT ordering, persistence_id, sequence_number, deleted, event_ser_id, event_ser_manifest, "
            + "CASE WHEN split_part(persistence_id, '|', 1) = ANY(?) THEN event_payload END, "
            + "write_timestamp, now() FROM event_journal WHERE ordering > ? ORDER BY ordering LIMIT ?";
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      Array types = c.createArrayOf("varchar", entityTypes.toArray());
      ps.setArray(1, types);
      ps.setLong(2, after);
      ps.setInt(3, limit);
      List<JournalRow> rows = new ArrayList<>();
      Instant readAt = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new JournalRow(
              rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4),
              rs.getInt(5), rs.getString(6), rs.getBytes(7), rs.getLong(8)));
          readAt = rs.getTimestamp(9).toInstant();
        }
      }
      return new Batch(rows, readAt == null ? now(c) : readAt);
    } catch (SQLException e) {
      throw new StoreException("cannot read the event journal", e);
    }
  }

  /**
   * Whether journal rows numbered {@code (from, to)}, missing from a read that started at
   * {@code readAt}, may still commit (or already have). A missing number was drawn before any row
   * that read saw, so its transaction began before {@code readAt}; once no transaction that old is
   * still open, the numbers are gone for good (rolled back).
   */
  public boolean mayStillAppear(long from, long to, Instant readAt) {
    try (Connection c = db.dataSource().getConnection()) {
      if (anyBetween(c, from, to)) {
        return true;
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
              + "AND backend_type = 'client backend' "
              + "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND xact_start <= ?)")) {
        ps.setTimestamp(1, Timestamp.from(readAt));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            return true;
          }
        }
      }
      // A transaction may have committed between the two queries: look once more.
      return anyBetween(c, from, to);
    } catch (SQLException e) {
      throw new StoreException("cannot check the event journal for missing rows", e);
    }
  }

  private static boolean anyBetween(Connection c, long from, long to) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM event_journal WHERE ordering > ? AND ordering < ? LIMIT 1")) {
      ps.setLong(1, from);
      ps.setLong(2, to);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static Instant now(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT now()");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getTimestamp(1).toInstant();
    }
  }
}
