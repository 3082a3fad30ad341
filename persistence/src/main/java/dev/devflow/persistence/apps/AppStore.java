package dev.devflow.persistence.apps;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The app registry (which app deploys which repository branch). Thread-safe; blocks on JDBC. */
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
}
