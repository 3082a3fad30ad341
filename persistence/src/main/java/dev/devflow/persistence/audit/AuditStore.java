package dev.devflow.persistence.audit;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/** The append-only audit log table. Thread-safe; blocks on JDBC. */
public final class AuditStore {

  private final Database db;

  public AuditStore(Database db) {
    this.db = db;
  }

  public void append(List<AuditEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO audit_log (tenant, at, actor_id, actor_name, action, resource, remote, result, status) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (AuditEntry e : entries) {
        ps.setString(1, e.tenant());
        ps.setTimestamp(2, Timestamp.from(e.at()));
        ps.setString(3, cut(e.actorId(), 64));
        ps.setString(4, cut(e.actorName(), 200));
        ps.setString(5, cut(e.action(), 64));
        ps.setString(6, cut(e.resource(), 512));
        ps.setString(7, cut(e.remote(), 64));
        ps.setString(8, e.result());
        if (e.status() == null) {
          ps.setNull(9, Types.INTEGER);
        } else {
          ps.setInt(9, e.status());
        }
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new StoreException("cannot write the audit log", e);
    }
  }

  /** A tenant's entries (null tenant = cluster-level ones), newest first. */
  public List<AuditEntry> read(String tenant, AuditQuery q) {
    StringBuilder sql = new StringBuilder(
        "SELECT id, tenant, at, actor_id, actor_name, action, resource, remote, result, status FROM audit_log WHERE ");
    List<Object> args = new ArrayList<>();
    if (tenant == null) {
      sql.append("tenant IS NULL");
    } else {
      sql.append("tenant = ?");
      args.add(tenant);
    }
    if (q.action() != null) {
      sql.append(" AND action = ?");
      args.add(q.action());
    }
    if (q.actorId() != null) {
      sql.append(" AND actor_id = ?");
      args.add(q.actorId());
    }
    if (q.resourcePrefix() != null) {
      sql.append(" AND starts_with(resource, ?)");
      args.add(q.resourcePrefix());
    }
    if (q.result() != null) {
      sql.append(" AND result = ?");
      args.add(q.result());
    }
    if (q.since() != null) {
      sql.append(" AND at >= ?");
      args.add(Timestamp.from(q.since()));
    }
    if (q.until() != null) {
      sql.append(" AND at < ?");
      args.add(Timestamp.from(q.until()));
    }
    if (q.before() != null) {
      sql.append(" AND id < ?");
      args.add(q.before());
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add(q.limit());
    List<AuditEntry> out = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int status = rs.getInt(10);
          out.add(new AuditEntry(rs.getLong(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4),
              rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
              rs.wasNull() ? null : status));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the audit log", e);
    }
    return out;
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
