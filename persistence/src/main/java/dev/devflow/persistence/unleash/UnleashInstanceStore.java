package dev.devflow.persistence.unleash;

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

/**
 * Unleash SDK instances per tenant, from {@code /api/client/register}, metrics and the SDK headers
 * on feature fetches. A later sighting keeps what an earlier one said unless it says more.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class UnleashInstanceStore {

  private final Database db;

  public UnleashInstanceStore(Database db) {
    this.db = db;
  }

  public void seen(String tenant, UnleashInstance i) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO unleash_instance (tenant, app_name, instance_id, sdk_version, strategies, started_at, "
                + "interval_ms, connection_id, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), now()) "
                + "ON CONFLICT (tenant, app_name, instance_id) DO UPDATE SET "
                + "sdk_version = COALESCE(EXCLUDED.sdk_version, unleash_instance.sdk_version), "
                + "strategies = COALESCE(EXCLUDED.strategies, unleash_instance.strategies), "
                + "started_at = COALESCE(EXCLUDED.started_at, unleash_instance.started_at), "
                + "interval_ms = COALESCE(EXCLUDED.interval_ms, unleash_instance.interval_ms), "
                + "connection_id = COALESCE(EXCLUDED.connection_id, unleash_instance.connection_id), "
                + "last_seen = now()")) {
      ps.setString(1, tenant);
      ps.setString(2, truncate(i.appName()));
      ps.setString(3, truncate(i.instanceId()));
      ps.setString(4, truncate(i.sdkVersion()));
      ps.setString(5, i.strategies());
      ps.setTimestamp(6, i.startedAt() == null ? null : Timestamp.from(i.startedAt()));
      if (i.intervalMs() == null) {
        ps.setNull(7, Types.BIGINT);
      } else {
        ps.setLong(7, i.intervalMs());
      }
      ps.setString(8, truncate(i.connectionId()));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot record an Unleash SDK instance of " + tenant, e);
    }
  }

  /** The tenant's instances, most recently seen first. */
  public List<UnleashInstance> list(String tenant) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT app_name, instance_id, sdk_version, strategies, started_at, interval_ms, connection_id, "
                + "first_seen, last_seen FROM unleash_instance WHERE tenant = ? ORDER BY last_seen DESC LIMIT 1000")) {
      ps.setString(1, tenant);
      List<UnleashInstance> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Timestamp started = rs.getTimestamp(5);
          long interval = rs.getLong(6);
          out.add(new UnleashInstance(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              started == null ? null : started.toInstant(), rs.wasNull() ? null : interval, rs.getString(7),
              rs.getTimestamp(8).toInstant(), rs.getTimestamp(9).toInstant()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot list the Unleash SDK instances of " + tenant, e);
    }
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 255 ? s : s.substring(0, 255);
  }
}
