package dev.devflow.persistence.agents;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

/**
 * The agents' tables: the registry (which agent watches which repository) and posted reviews.
 * Thread-safe; blocks on JDBC.
 */
public final class AgentStore {

  private final Database db;

  public AgentStore(Database db) {
    this.db = db;
  }

  public void register(AgentEntry a) {
    update("cannot register agent " + a.tenant() + "/" + a.name(),
        "INSERT INTO agent_registry (tenant, name, kind, repo) VALUES (?, ?, ?, ?) "
            + "ON CONFLICT (tenant, name) DO UPDATE SET kind = EXCLUDED.kind, repo = EXCLUDED.repo, updated_at = now()",
        a.tenant(), a.name(), a.kind(), a.repo());
  }

  public boolean unregister(String tenant, String name) {
    return update("cannot remove agent " + tenant + "/" + name,
        "DELETE FROM agent_registry WHERE tenant = ? AND name = ?", tenant, name) > 0;
  }

  /** Agents watching one repository. */
  public List<AgentEntry> watching(String tenant, String repo) {
    return entries("SELECT tenant, name, kind, repo FROM agent_registry WHERE tenant = ? AND repo = ? ORDER BY name",
        tenant, repo);
  }

  public List<AgentEntry> list(String tenant) {
    return entries("SELECT tenant, name, kind, repo FROM agent_registry WHERE tenant = ? ORDER BY name", tenant);
  }

  /**
   * Stores a review; a task that ran again (its worker or node died after the review was ready)
   * replaces its own row, so each task has exactly one.
   */
  public void saveReview(StoredReview r) {
    update("cannot store the review of task " + r.taskId(),
        "INSERT INTO agent_review (tenant, agent, task_id, repo, ref, before_sha, after_sha, review, model, cost_usd, "
            + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) ON CONFLICT (tenant, agent, task_id) DO UPDATE "
            + "SET review = EXCLUDED.review, model = EXCLUDED.model, cost_usd = EXCLUDED.cost_usd",
        r.tenant(), r.agent(), r.taskId(), r.repo(), r.ref(), r.before(), r.after(), r.review(), r.model(),
        r.costUsd(), Timestamp.from(r.createdAt()));
  }

  /** A repository's reviews, newest first; {@code before} is the cursor (an id), null for the first page. */
  public List<StoredReview> reviews(String tenant, String repo, Long before, int limit) {
    String sql = "SELECT id, tenant, agent, task_id, repo, ref, before_sha, after_sha, review::text, model, cost_usd, "
        + "created_at FROM agent_review WHERE tenant = ? AND repo = ?" + (before == null ? "" : " AND id < ?")
        + " ORDER BY id DESC LIMIT ?";
    List<StoredReview> out = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, tenant);
      ps.setString(i++, repo);
      if (before != null) {
        ps.setLong(i++, before);
      }
      ps.setInt(i, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StoredReview(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
              rs.getDouble(11), rs.getTimestamp(12).toInstant()));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the reviews of " + tenant + "/" + repo, e);
    }
    return out;
  }

  /** Deletes a deleted repository's reviews (agents watching it stay configured, with nothing to review). */
  public void deleteRepo(String tenant, String repo) {
    update("cannot delete the reviews of " + tenant + "/" + repo,
        "DELETE FROM agent_review WHERE tenant = ? AND repo = ?", tenant, repo);
  }

  private List<AgentEntry> entries(String sql, Object... args) {
    List<AgentEntry> out = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new AgentEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the agent registry", e);
    }
    return out;
  }

  private int update(String failure, String sql, Object... args) {
    try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException(failure, e);
    }
  }
}
