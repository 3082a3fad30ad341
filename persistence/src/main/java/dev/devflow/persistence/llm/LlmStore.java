package dev.devflow.persistence.llm;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Optional;

/**
 * The LLM gateway's tables: the answer cache ({@code llm_cache}) and usage accounting per tenant,
 * agent, month and model ({@code llm_usage}). Kept here because only persistence/ talks JDBC.
 *
 * <p>Thread-safe; every method blocks on JDBC, so callers run it on a blocking executor.
 */
public final class LlmStore {

  /** Expired cache rows removed per write: bounds the cost a write pays for the clean-up. */
  private static final int PURGE_BATCH = 100;

  private final Database db;

  public LlmStore(Database db) {
    this.db = db;
  }

  /** The answer stored under {@code key}, unless it has expired by {@code now}. */
  public Optional<CachedAnswer> cached(String key, Instant now) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT model, response FROM llm_cache WHERE key = ? AND expires_at > ?")) {
      ps.setString(1, key);
      ps.setTimestamp(2, Timestamp.from(now));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new CachedAnswer(rs.getString(1), rs.getString(2))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the LLM cache", e);
    }
  }

  /** Stores (or replaces) an answer until {@code expiresAt}, and purges a few expired rows. */
  public void cache(String key, CachedAnswer answer, Instant now, Instant expiresAt) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement put = c.prepareStatement(
            "INSERT INTO llm_cache (key, model, response, created_at, expires_at) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (key) DO UPDATE SET model = EXCLUDED.model, response = EXCLUDED.response, "
                + "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at");
        PreparedStatement purge = c.prepareStatement(
            "DELETE FROM llm_cache WHERE key IN "
                + "(SELECT key FROM llm_cache WHERE expires_at <= ? LIMIT " + PURGE_BATCH + ")")) {
      put.setString(1, key);
      put.setString(2, answer.model());
      put.setString(3, answer.response());
      put.setTimestamp(4, Timestamp.from(now));
      put.setTimestamp(5, Timestamp.from(expiresAt));
      put.executeUpdate();
      purge.setTimestamp(1, Timestamp.from(now));
      purge.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot write the LLM cache", e);
    }
  }

  /** Adds one answered call with its tokens and cost. {@code agent} "" = not an agent. */
  public void recordCall(String tenant, String agent, YearMonth month, String model, long promptTokens,
      long completionTokens, double costUsd) {
    upsert(tenant, agent, month, model, 1, 0, promptTokens, completionTokens, costUsd);
  }

  /** Adds one answer served from the cache (no tokens, no cost). */
  public void recordCacheHit(String tenant, String agent, YearMonth month, String model) {
    upsert(tenant, agent, month, model, 0, 1, 0, 0, 0);
  }

  /** Usage of a tenant (agent null) or of one of its agents in a month, over all models. */
  public LlmUsage usage(String tenant, String agent, YearMonth month) {
    String sql = "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(prompt_tokens), 0), "
        + "COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(calls), 0), COALESCE(SUM(cache_hits), 0) "
        + "FROM llm_usage WHERE tenant = ? AND month = ?" + (agent == null ? "" : " AND agent = ?");
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, tenant);
      ps.setDate(2, Date.valueOf(month.atDay(1)));
      if (agent != null) {
        ps.setString(3, agent);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new LlmUsage(rs.getBigDecimal(1).doubleValue(), rs.getLong(2), rs.getLong(3), rs.getLong(4),
            rs.getLong(5));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read LLM usage", e);
    }
  }

  private void upsert(String tenant, String agent, YearMonth month, String model, long calls, long cacheHits,
      long promptTokens, long completionTokens, double costUsd) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO llm_usage (tenant, agent, month, model, calls, cache_hits, prompt_tokens, "
                + "completion_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (tenant, agent, month, model) DO UPDATE SET "
                + "calls = llm_usage.calls + EXCLUDED.calls, "
                + "cache_hits = llm_usage.cache_hits + EXCLUDED.cache_hits, "
                + "prompt_tokens = llm_usage.prompt_tokens + EXCLUDED.prompt_tokens, "
                + "completion_tokens = llm_usage.completion_tokens + EXCLUDED.completion_tokens, "
                + "cost_usd = llm_usage.cost_usd + EXCLUDED.cost_usd")) {
      ps.setString(1, tenant);
      ps.setString(2, agent == null ? "" : agent);
      ps.setDate(3, Date.valueOf(month.atDay(1)));
      ps.setString(4, model);
      ps.setLong(5, calls);
      ps.setLong(6, cacheHits);
      ps.setLong(7, promptTokens);
      ps.setLong(8, completionTokens);
      ps.setBigDecimal(9, java.math.BigDecimal.valueOf(costUsd));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot record LLM usage", e);
    }
  }
}
