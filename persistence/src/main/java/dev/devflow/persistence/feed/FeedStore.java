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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The per-tenant event feed table and the projection offsets that fill it.
 *
 * <p>{@link #append} assigns ids and moves the projection's offset in one transaction, so each
 * journal row becomes exactly one entry even when the projection crashes mid-batch. Ids are taken
 * under the tenant's {@code feed_counter} row lock, which is held to commit: entries of a tenant
 * become visible in id order, and a reader of {@code id > n} never misses one.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class FeedStore {

  private final Database db;

  public FeedStore(Database db) {
    this.db = db;
  }

  /** The projection's last processed journal ordering, empty before its first batch. */
  public OptionalLong offset(String projection) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT last_ordering FROM projection_offset WHERE name = ?")) {
      ps.setString(1, projection);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the offset of projection " + projection, e);
    }
  }

  /**
   * Appends the drafts and moves the offset from {@code expectedOffset} to {@code newOffset}.
   *
   * @return the stored entries with their ids, in draft order
   * @throws OffsetMovedException when another instance of the projection moved the offset first
   *     (nothing is written)
   */
  public List<FeedRecord> append(String projection, long expectedOffset, long newOffset, List<FeedDraft> drafts) {
    return inTransaction(c -> {
      moveOffset(c, projection, expectedOffset, newOffset);
      return insert(c, drafts);
    });
  }

  /**
   * Appends entries that come from no journal row ({@link FeedDraft#unsourced}); ids are taken the
   * same way as for the projection's, so readers see one gap-free sequence per tenant.
   *
   * @return the stored entries with their ids, in draft order
   */
  public List<FeedRecord> appendUnsourced(List<FeedDraft> drafts) {
    return inTransaction(c -> insert(c, drafts));
  }

  private interface Work {
    List<FeedRecord> run(Connection c) throws SQLException;
  }

  private List<FeedRecord> inTransaction(Work work) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        List<FeedRecord> stored = work.run(c);
        c.commit();
        return stored;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot append to the event feed", e);
    }
  }

  private static void moveOffset(Connection c, String projection, long expected, long next) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO projection_offset (name, last_ordering, updated_at) VALUES (?, ?, now()) "
            + "ON CONFLICT (name) DO UPDATE SET last_ordering = EXCLUDED.last_ordering, updated_at = now() "
            + "WHERE projection_offset.last_ordering = ?")) {
      ps.setString(1, projection);
      ps.setLong(2, next);
      ps.setLong(3, expected);
      if (ps.executeUpdate() != 1) {
        throw new OffsetMovedException(projection);
      }
    }
  }

  private static List<FeedRecord> insert(Connection c, List<FeedDraft> drafts) throws SQLException {
    if (drafts.isEmpty()) {
      return List.of();
    }
    // Lock counters in tenant order (one statement per tenant), then hand out ids in draft order.
    Map<String, Integer> perTenant = new LinkedHashMap<>();
    drafts.stream().map(FeedDraft::tenant).sorted().forEach(t -> perTenant.merge(t, 1, Integer::sum));
    Map<String, Long> next = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO feed_counter (tenant, last_id) VALUES (?, ?) "
            + "ON CONFLICT (tenant) DO UPDATE SET last_id = feed_counter.last_id + EXCLUDED.last_id RETURNING last_id")) {
      for (Map.Entry<String, Integer> e : perTenant.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setLong(2, e.getValue());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          next.put(e.getKey(), rs.getLong(1) - e.getValue() + 1);
        }
      }
    }
    List<FeedRecord> stored = new ArrayList<>(drafts.size());
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO feed_entry (tenant, id, type, data, at, source_ordering, source_index) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (FeedDraft d : drafts) {
        long id = next.merge(d.tenant(), 1L, Long::sum) - 1;
        ps.setString(1, d.tenant());
        ps.setLong(2, id);
        ps.setString(3, d.type());
        ps.setString(4, d.data());
        ps.setTimestamp(5, Timestamp.from(d.at()));
        if (d.sourceOrdering() == FeedDraft.NO_SOURCE) {
          ps.setNull(6, java.sql.Types.BIGINT);
          ps.setNull(7, java.sql.Types.INTEGER);
        } else {
          ps.setLong(6, d.sourceOrdering());
          ps.setInt(7, d.sourceIndex());
        }
        ps.addBatch();
        stored.add(new FeedRecord(d.tenant(), id, d.type(), d.data(), d.at()));
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO feed_latest (tenant, type, subject, id, data) VALUES (?, ?, ?, ?, ?) "
            + "ON CONFLICT (tenant, type, subject) DO UPDATE SET id = EXCLUDED.id, data = EXCLUDED.data "
            + "WHERE feed_latest.id < EXCLUDED.id")) {
      boolean any = false;
      for (int i = 0; i < drafts.size(); i++) {
        FeedDraft d = drafts.get(i);
        if (d.subject() != null) {
          ps.setString(1, d.tenant());
          ps.setString(2, d.type());
          ps.setString(3, d.subject());
          ps.setLong(4, stored.get(i).id());
          ps.setString(5, d.data());
          ps.addBatch();
          any = true;
        }
      }
      if (any) {
        ps.executeBatch();
      }
    }
    return stored;
  }

  /** The newest entry per subject of the given types, across tenants (rebuilding node state). */
  public List<FeedRecord> latest(List<String> types) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT tenant, id, type, data FROM feed_latest WHERE type = ANY(?) ORDER BY tenant, id")) {
      ps.setArray(1, c.createArrayOf("varchar", types.toArray()));
      List<FeedRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new FeedRecord(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), null));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the newest feed entries", e);
    }
  }

  /** Up to {@code limit} entries of a tenant with {@code after < id <= upTo}, ascending. */
  public List<FeedRecord> read(String tenant, long after, long upTo, int limit) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT id, type, data, at FROM feed_entry WHERE tenant = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?")) {
      ps.setString(1, tenant);
      ps.setLong(2, after);
      ps.setLong(3, upTo);
      ps.setInt(4, limit);
      List<FeedRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new FeedRecord(tenant, rs.getLong(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the event feed of " + tenant, e);
    }
  }

  /**
   * The entries of the given types, of every tenant, from the first {@code limit} journal rows
   * after {@code afterOrdering} that have any, in journal order: how a consumer of all feeds
   * follows them with an offset of its own. A journal row's entries are never split between two
   * reads, so the consumer can store the last ordering it saw. (Entries become visible in journal
   * order: the projection writes them so.)
   */
  public List<SourcedRecord> afterSource(List<String> types, long afterOrdering, int limit) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT tenant, id, type, data, at, source_ordering, source_index FROM feed_entry"
                + " WHERE type = ANY(?) AND source_ordering IN (SELECT DISTINCT source_ordering FROM feed_entry"
                + " WHERE source_ordering > ? AND type = ANY(?) ORDER BY source_ordering LIMIT ?)"
                + " ORDER BY source_ordering, source_index")) {
      Array typeArray = c.createArrayOf("varchar", types.toArray());
      ps.setArray(1, typeArray);
      ps.setLong(2, afterOrdering);
      ps.setArray(3, typeArray);
      ps.setInt(4, limit);
      List<SourcedRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          FeedRecord r = new FeedRecord(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
              rs.getTimestamp(5).toInstant());
          out.add(new SourcedRecord(rs.getLong(6), rs.getInt(7), r));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the event feeds", e);
    }
  }

  /** Stores a consumer's offset (see {@link #afterSource}); it only moves forward. */
  public void saveOffset(String consumer, long ordering) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO projection_offset (name, last_ordering, updated_at) VALUES (?, ?, now())"
                + " ON CONFLICT (name) DO UPDATE SET last_ordering = GREATEST(projection_offset.last_ordering,"
                + " EXCLUDED.last_ordering), updated_at = now()")) {
      ps.setString(1, consumer);
      ps.setLong(2, ordering);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot store the offset of " + consumer, e);
    }
  }

  /** The newest id of a tenant's feed, 0 when it has none. */
  public long lastId(String tenant) {
    return lastIds(List.of(tenant)).getOrDefault(tenant, 0L);
  }

  /** The newest id of every tenant's feed. */
  public Map<String, Long> allLastIds() {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT tenant, last_id FROM feed_counter");
        ResultSet rs = ps.executeQuery()) {
      Map<String, Long> out = new HashMap<>();
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the event feed's last ids", e);
    }
  }

  /** The newest ids of several tenants' feeds; tenants without entries are absent. */
  public Map<String, Long> lastIds(List<String> tenants) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT tenant, last_id FROM feed_counter WHERE tenant = ANY(?)")) {
      Array array = c.createArrayOf("varchar", tenants.toArray());
      ps.setArray(1, array);
      Map<String, Long> out = new HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the event feed's last ids", e);
    }
  }

  /** Thrown by {@link #append} when the offset is not where this instance left it. */
  public static final class OffsetMovedException extends RuntimeException {
    OffsetMovedException(String projection) {
      super("the offset of projection " + projection + " was moved by another instance");
    }
  }

}
