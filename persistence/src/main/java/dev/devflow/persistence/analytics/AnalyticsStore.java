package dev.devflow.persistence.analytics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.postgresql.PGStatement;

/**
 * Experiment data: analytics (conversion) events, each user's first exposure to a flag, and the
 * aggregate counts of Unleash SDK metrics; and the per-variant counts an experiment's results are
 * computed from ({@link #variantCounts}, one statement whose cost follows the flag's exposed users,
 * not the tenant's events: see {@code V6__analytics.sql}).
 *
 * <p>Writes are batches sent as one statement each (arrays unnested server side): a batch of
 * thousands of rows is one round trip. Summary, exposure and metric rows are written in key order so
 * that two nodes writing overlapping batches lock rows in the same order and never deadlock.
 *
 * <p>Thread-safe; every method blocks on JDBC.
 */
public final class AnalyticsStore {

  /** Rows per statement; bounds the size of one statement's arrays. */
  static final int CHUNK = 5_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Exposed and converted users per variant in one pass over the flag's exposures. Conversions are
   * read from {@code analytics_user_event} (one row per user and event name, with the latest time;
   * unique, so the outer join adds no rows): the cost follows the flag's exposed users and the
   * goal's users, not the tenant's events. Both tables are keyed by (tenant, name, user_key), so
   * the join can merge two index-only scans, or hash one of them.
   */
  static final String VARIANT_COUNTS =
      "SELECT x.variant, count(*), count(*) FILTER (WHERE c.last_at >= x.first_exposed_at) "
          + "FROM flag_exposure x "
          + "LEFT JOIN analytics_user_event c ON c.tenant = ? AND c.event = ? AND c.user_key = x.user_key "
          + "WHERE x.tenant = ? AND x.flag = ? "
          + "GROUP BY x.variant ORDER BY x.variant";

  /**
   * Set for {@link #VARIANT_COUNTS}: a hash or merge join costs the flag's exposures plus the goal's
   * users whatever the statistics say. Left to choose, the planner takes a nested loop when the
   * statistics do not know the tenant yet (a new table, a tenant that grew since the last ANALYZE)
   * and then scans the goal's users once per exposed user: minutes instead of a second. A nested
   * loop would win only for small experiments, which take a fraction of a second either way.
   */
  static final String NO_NESTED_LOOP = "SET LOCAL enable_nestloop = off";

  /**
   * The events and, in the same statement, each user's latest time per event name. The summary
   * rows are written in key order (two batches of one user never deadlock) and only move forward.
   */
  private static final String INSERT_EVENTS =
      "WITH stored AS ("
          + " INSERT INTO analytics_event (tenant, event, user_id, properties, occurred_at, received_at)"
          + " SELECT ?, e, u, p::jsonb, o, now()"
          + " FROM unnest(?::varchar[], ?::varchar[], ?::text[], ?::timestamptz[]) AS t(e, u, p, o)"
          + " RETURNING event, user_id, occurred_at) "
          + "INSERT INTO analytics_user_event (tenant, event, user_key, last_at) "
          + "SELECT ?, event, devflow_user_key(user_id), max(occurred_at) FROM stored GROUP BY 2, 3 ORDER BY 2, 3 "
          + "ON CONFLICT (tenant, event, user_key) DO UPDATE SET last_at = EXCLUDED.last_at "
          + "WHERE EXCLUDED.last_at > analytics_user_event.last_at";

  private final Database db;

  public AnalyticsStore(Database db) {
    this.db = db;
  }

  /**
   * Stores a tenant's events as they are (no de-duplication: the results count users, so a
   * repeated event changes nothing there) and keeps each user's latest time per event name; all or
   * nothing.
   *
   * @return how many were stored
   */
  public int recordEvents(String tenant, List<AnalyticsEvent> events) {
    if (events.isEmpty()) {
      return 0;
    }
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(INSERT_EVENTS)) {
        for (int from = 0; from < events.size(); from += CHUNK) {
          List<AnalyticsEvent> chunk = events.subList(from, Math.min(events.size(), from + CHUNK));
          ps.setString(1, tenant);
          ps.setArray(2, c.createArrayOf("varchar", chunk.stream().map(AnalyticsEvent::event).toArray()));
          ps.setArray(3, c.createArrayOf("varchar", chunk.stream().map(AnalyticsEvent::userId).toArray()));
          ps.setArray(4, c.createArrayOf("text", chunk.stream().map(AnalyticsEvent::properties).toArray()));
          ps.setArray(5, c.createArrayOf("timestamptz",
              chunk.stream().map(e -> Timestamp.from(e.occurredAt())).toArray()));
          ps.setString(6, tenant);
          ps.executeUpdate();
        }
        c.commit();
        return events.size();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store analytics events of " + tenant, e);
    }
  }

  /**
   * Records exposures; per tenant, flag and user only the earliest exposure is kept, with the
   * variant it gave. An exposure older than the stored one replaces it (batches of two nodes may
   * arrive in any order); a newer one changes nothing.
   */
  public void recordExposures(List<Exposure> exposures) {
    if (exposures.isEmpty()) {
      return;
    }
    // DISTINCT ON keeps one row per key (ON CONFLICT cannot touch a row twice in one statement),
    // the earliest; the ORDER BY is also the order rows are locked in.
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO flag_exposure (tenant, flag, user_id, variant, first_exposed_at) "
                + "SELECT DISTINCT ON (t, f, devflow_user_key(u)) t, f, u, v, a "
                + "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::timestamptz[]) AS x(t, f, u, v, a) "
                + "ORDER BY t, f, devflow_user_key(u), a "
                + "ON CONFLICT (tenant, flag, user_key) DO UPDATE "
                + "SET variant = EXCLUDED.variant, first_exposed_at = EXCLUDED.first_exposed_at "
                + "WHERE EXCLUDED.first_exposed_at < flag_exposure.first_exposed_at")) {
      for (int from = 0; from < exposures.size(); from += CHUNK) {
        List<Exposure> chunk = exposures.subList(from, Math.min(exposures.size(), from + CHUNK));
        ps.setArray(1, c.createArrayOf("varchar", chunk.stream().map(Exposure::tenant).toArray()));
        ps.setArray(2, c.createArrayOf("varchar", chunk.stream().map(Exposure::flag).toArray()));
        ps.setArray(3, c.createArrayOf("varchar", chunk.stream().map(Exposure::userId).toArray()));
        ps.setArray(4, c.createArrayOf("varchar", chunk.stream().map(Exposure::variant).toArray()));
        ps.setArray(5, c.createArrayOf("timestamptz", chunk.stream().map(x -> Timestamp.from(x.exposedAt())).toArray()));
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store " + exposures.size() + " flag exposures", e);
    }
  }

  /**
   * Adds one SDK metrics bucket of a tenant to the counts kept for {@code bucketStart} (several SDK
   * instances report the same bucket; their counts add up, variant by variant).
   */
  public void recordMetrics(String tenant, Instant bucketStart, Map<String, MetricCounts> perFlag) {
    if (perFlag.isEmpty()) {
      return;
    }
    Map<String, MetricCounts> sorted = new TreeMap<>(perFlag);
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO flag_metrics (tenant, flag, bucket_start, yes_count, no_count, variant_counts) "
                + "SELECT ?, f, ?, y, n, v::jsonb FROM unnest(?::varchar[], ?::bigint[], ?::bigint[], ?::text[]) AS t(f, y, n, v) "
                + "ON CONFLICT (tenant, flag, bucket_start) DO UPDATE SET "
                + "yes_count = flag_metrics.yes_count + EXCLUDED.yes_count, "
                + "no_count = flag_metrics.no_count + EXCLUDED.no_count, "
                + "variant_counts = (SELECT COALESCE(jsonb_object_agg(k, s), '{}'::jsonb) FROM ("
                + "  SELECT key AS k, sum(value::bigint) AS s FROM ("
                + "    SELECT * FROM jsonb_each_text(flag_metrics.variant_counts)"
                + "    UNION ALL SELECT * FROM jsonb_each_text(EXCLUDED.variant_counts)) a GROUP BY key) g)")) {
      ps.setString(1, tenant);
      ps.setTimestamp(2, Timestamp.from(bucketStart));
      ps.setArray(3, c.createArrayOf("varchar", sorted.keySet().toArray()));
      ps.setArray(4, c.createArrayOf("bigint", sorted.values().stream().map(MetricCounts::yes).toArray()));
      ps.setArray(5, c.createArrayOf("bigint", sorted.values().stream().map(MetricCounts::no).toArray()));
      ps.setArray(6, c.createArrayOf("text", sorted.values().stream().map(m -> json(m.variants())).toArray()));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot store Unleash metrics of " + tenant, e);
    }
  }

  /**
   * Per variant (ordered by name): users whose first exposure to {@code flag} gave them the variant,
   * and how many of them have a {@code goal} event at or after that first exposure. One statement.
   */
  public List<VariantCounts> variantCounts(String tenant, String flag, String goal) {
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try {
        try (Statement s = c.createStatement()) {
          s.execute(NO_NESTED_LOOP);
        }
        List<VariantCounts> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(VARIANT_COUNTS)) {
          // Planned for the actual values every time, never as a generic plan.
          ps.unwrap(PGStatement.class).setPrepareThreshold(0);
          ps.setString(1, tenant);
          ps.setString(2, goal);
          ps.setString(3, tenant);
          ps.setString(4, flag);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(new VariantCounts(rs.getString(1), rs.getLong(2), rs.getLong(3)));
            }
          }
        }
        c.commit();
        return out;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count the results of flag " + tenant + "/" + flag, e);
    }
  }

  /** The SDK metrics of a flag summed over every bucket; {@link MetricCounts#NONE} without any. */
  public MetricCounts metrics(String tenant, String flag) {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT NULL, sum(yes_count)::bigint, sum(no_count)::bigint FROM flag_metrics WHERE tenant = ? AND flag = ? "
                + "UNION ALL "
                + "SELECT v.key, sum(v.value::bigint)::bigint, NULL FROM flag_metrics m "
                + "CROSS JOIN LATERAL jsonb_each_text(m.variant_counts) v "
                + "WHERE m.tenant = ? AND m.flag = ? GROUP BY v.key")) {
      ps.setString(1, tenant);
      ps.setString(2, flag);
      ps.setString(3, tenant);
      ps.setString(4, flag);
      long yes = 0;
      long no = 0;
      Map<String, Long> variants = new LinkedHashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String variant = rs.getString(1);
          if (variant == null) {
            yes = rs.getLong(2);
            no = rs.getLong(3);
          } else {
            variants.put(variant, rs.getLong(2));
          }
        }
      }
      return new MetricCounts(yes, no, new TreeMap<>(variants));
    } catch (SQLException e) {
      throw new StoreException("cannot read the SDK metrics of flag " + tenant + "/" + flag, e);
    }
  }

  private static String json(Map<String, Long> variants) {
    try {
      return JSON.writeValueAsString(variants);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
