package dev.devflow.persistence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The cluster-wide admin token's hash (one row). Writes are single statements that are safe when
 * several nodes bootstrap the same empty database at once: exactly one insert wins.
 */
public final class AdminTokenStore {

  private final Database db;

  public AdminTokenStore(Database db) {
    this.db = db;
  }

  /** Stores the hash if no admin token exists yet; true when this call created it. */
  public boolean createIfAbsent(String tokenHash) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO devflow_admin_token (token_hash) VALUES (?) ON CONFLICT DO NOTHING")) {
      ps.setString(1, tokenHash);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("cannot store the admin token", e);
    }
  }

  /** Sets the hash whatever was there (DEVFLOW_ADMIN_TOKEN overrides the stored token). */
  public void replace(String tokenHash) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO devflow_admin_token (token_hash) VALUES (?) "
                    + "ON CONFLICT (singleton) DO UPDATE SET token_hash = EXCLUDED.token_hash")) {
      ps.setString(1, tokenHash);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot store the admin token", e);
    }
  }

  public Optional<String> currentHash() {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT token_hash FROM devflow_admin_token");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    } catch (SQLException e) {
      throw new StoreException("cannot read the admin token", e);
    }
  }
}
