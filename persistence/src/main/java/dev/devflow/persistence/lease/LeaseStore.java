package dev.devflow.persistence.lease;

import dev.devflow.persistence.DatabaseSettings;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;

/**
 * Leases in PostgreSQL ({@code cluster_lease}, {@code lease_owner}, migration V14). An owner is one
 * node incarnation; it keeps its leases by renewing its own row ({@link #heartbeat}), one statement
 * per node however many leases it holds. A lease whose owner's row expired or is gone may be taken
 * by another owner. All times are the database's, so node clocks do not matter.
 *
 * <p>It holds one connection of its own, outside the pools: a heartbeat must not wait behind busy
 * application queries. Not thread-safe: its owner calls it from one thread.
 */
public final class LeaseStore implements AutoCloseable {

  private final DatabaseSettings settings;
  private final Duration ttl;
  private final int timeoutSeconds;
  private Connection connection;

  /** {@code ttl}: how long a heartbeat keeps the owner alive; {@code timeout}: per statement. */
  public LeaseStore(DatabaseSettings settings, Duration ttl, Duration timeout) {
    this.settings = settings;
    this.ttl = ttl;
    this.timeoutSeconds = (int) Math.max(1, timeout.toSeconds());
  }

  /** Keeps {@code owner} alive until the database's now plus the TTL. */
  public void heartbeat(String owner) {
    run("renew lease owner " + owner, c -> {
      try (PreparedStatement ps = prepare(c,
          "INSERT INTO lease_owner (owner, expires_at) VALUES (?, now() + make_interval(secs => ?)) "
              + "ON CONFLICT (owner) DO UPDATE SET expires_at = EXCLUDED.expires_at")) {
        ps.setString(1, owner);
        ps.setDouble(2, ttl.toMillis() / 1000.0);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Takes {@code name} for {@code owner} when it is free, already the owner's, or held by an owner
   * that is no longer alive; true when the owner holds it afterwards.
   */
  public boolean acquire(String name, String owner) {
    return run("acquire lease " + name, c -> {
      try (PreparedStatement ps = prepare(c,
          "INSERT INTO cluster_lease AS l (name, owner, acquired_at) VALUES (?, ?, now()) "
              + "ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, acquired_at = now() "
              + "WHERE l.owner = EXCLUDED.owner OR NOT EXISTS ("
              + "SELECT 1 FROM lease_owner o WHERE o.owner = l.owner AND o.expires_at > now()) "
              + "RETURNING owner")) {
        ps.setString(1, name);
        ps.setString(2, owner);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Gives {@code name} up if {@code owner} holds it; true when it did. */
  public boolean release(String name, String owner) {
    return run("release lease " + name, c -> {
      try (PreparedStatement ps = prepare(c, "DELETE FROM cluster_lease WHERE name = ? AND owner = ?")) {
        ps.setString(1, name);
        ps.setString(2, owner);
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** The names {@code owner} holds according to the database. */
  public Set<String> held(String owner) {
    return run("read leases of " + owner, c -> {
      try (PreparedStatement ps = prepare(c, "SELECT name FROM cluster_lease WHERE owner = ?")) {
        ps.setString(1, owner);
        Set<String> names = new HashSet<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            names.add(rs.getString(1));
          }
        }
        return names;
      }
    });
  }

  /**
   * Ends {@code owner}: its leases are free at once (a node that shut down cleanly), and owners
   * expired for over an hour (crashed incarnations) are forgotten.
   */
  public void retire(String owner) {
    run("retire lease owner " + owner, c -> {
      try (PreparedStatement leases = prepare(c, "DELETE FROM cluster_lease WHERE owner = ?");
          PreparedStatement self = prepare(c, "DELETE FROM lease_owner WHERE owner = ?");
          PreparedStatement old = prepare(c,
              "DELETE FROM lease_owner WHERE expires_at < now() - interval '1 hour'")) {
        leases.setString(1, owner);
        leases.executeUpdate();
        self.setString(1, owner);
        self.executeUpdate();
        old.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void close() {
    drop();
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    ps.setQueryTimeout(timeoutSeconds);
    return ps;
  }

  private <T> T run(String what, Work<T> work) {
    try {
      if (connection == null) {
        Properties p = new Properties();
        p.setProperty("user", settings.user());
        p.setProperty("password", settings.password());
        // A database that stopped answering fails the call instead of hanging the heartbeat.
        p.setProperty("connectTimeout", String.valueOf(timeoutSeconds));
        p.setProperty("loginTimeout", String.valueOf(timeoutSeconds));
        p.setProperty("socketTimeout", String.valueOf(timeoutSeconds * 2));
        connection = DriverManager.getConnection(settings.url(), p);
      }
      return work.run(connection);
    } catch (SQLException e) {
      drop(); // reopened by the next call
      throw new StoreException("cannot " + what, e);
    }
  }

  private void drop() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // the connection is being thrown away
      }
      connection = null;
    }
  }
}
