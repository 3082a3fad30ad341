package dev.devflow.persistence.apps;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The app registry (which app deploys which repository branch) and the artifacts each app still
 * needs. Thread-safe; blocks on JDBC.
 */
public final class AppStore {

  private final Database db;

  public AppStore(Database db) {
    this.db = db;
  }

  public void register(AppEntry a) {
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO app_registry (tenant, app, repo, branch) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, app) "
            + "DO UPDATE SET repo = EXCLUDED.repo, branch = EXCLUDED.branch, updated_at = now()")) {
      ps.setString(1, a.tenant());
      ps.setString(2, a.app());
      ps.setString(3, a.repo());
      ps.setString(4, a.branch());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot register app " + a.tenant() + "/" + a.app(), e);
    }
  }

  public void unregister(String tenant, String app) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM app_registry WHERE tenant = ? AND app = ?")) {
      ps.setString(1, tenant);
      ps.setString(2, app);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot remove app " + tenant + "/" + app, e);
    }
  }

  /** Apps deploying a repository (any branch). */
  public List<AppEntry> deploying(String tenant, String repo) {
    return read("SELECT tenant, app, repo, branch FROM app_registry WHERE tenant = ? AND repo = ? ORDER BY app",
        tenant, repo);
  }

  public List<AppEntry> list(String tenant) {
    return read("SELECT tenant, app, repo, branch FROM app_registry WHERE tenant = ? ORDER BY app", tenant);
  }

  private List<AppEntry> read(String sql, String... args) {
    List<AppEntry> out = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AppEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the app registry", e);
    }
    return out;
  }

  /** Replaces the set of artifact hashes the app needs (empty: none, the app is gone). */
  public void keepArtifacts(String tenant, String app, Set<String> hashes) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM app_artifact WHERE tenant = ? AND app = ?");
          PreparedStatement insert = c.prepareStatement("INSERT INTO app_artifact (tenant, app, hash) VALUES (?, ?, ?)")) {
        delete.setString(1, tenant);
        delete.setString(2, app);
        delete.executeUpdate();
        for (String hash : hashes) {
          insert.setString(1, tenant);
          insert.setString(2, app);
          insert.setString(3, hash);
          insert.addBatch();
        }
        insert.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store the artifacts of app " + tenant + "/" + app, e);
    }
  }

  /** Every artifact hash some app still needs. */
  public Set<String> artifactsInUse() {
    Set<String> out = new HashSet<>();
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT DISTINCT hash FROM app_artifact");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the artifacts in use", e);
    }
    return out;
  }

}
