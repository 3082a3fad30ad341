package dev.devflow.persistence.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Analytics events, first exposures, SDK metrics and the per-variant counts on a real PostgreSQL,
 * with a synthetic experiment whose answer is known by construction. Each test uses its own tenant.
 */
class AnalyticsStoreTest {

  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static AnalyticsStore store;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home);
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    store = new AnalyticsStore(db);
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
    pg.close();
  }

  static AnalyticsEvent event(String name, String user, Instant at) {
    return new AnalyticsEvent(name, user, null, at);
  }

  static Exposure exposure(String tenant, String flag, String variant, String user, Instant at) {
    return new Exposure(tenant, flag, variant, user, at);
  }

  /**
   * control: 200 users, 20 convert; blue: 200 users, 30 convert; green: 100 users, 0 convert. Around
   * them everything that must not count: goal events before the exposure, other event names,
   * another flag's exposures, another tenant's events of the same users, repeated conversions.
   */
  @Test
  void aSyntheticExperimentCountsExactlyTheKnownUsers() {
    String t = "synthetic";
    List<Exposure> exposures = new ArrayList<>();
    List<AnalyticsEvent> events = new ArrayList<>();
    int[][] arms = {{200, 20}, {200, 30}, {100, 0}};
    String[] names = {"control", "blue", "green"};
    for (int a = 0; a < arms.length; a++) {
      for (int j = 0; j < arms[a][0]; j++) {
        String user = names[a] + "-" + j;
        Instant exposedAt = T0.plus(Duration.ofMinutes(j));
        exposures.add(exposure(t, "button", names[a], user, exposedAt));
        if (j < arms[a][1]) {
          // Converted: one event exactly at the exposure (counts: at or after), some twice.
          events.add(event("purchase", user, j % 2 == 0 ? exposedAt : exposedAt.plusSeconds(3600)));
          if (j % 3 == 0) {
            events.add(event("purchase", user, exposedAt.plusSeconds(7200)));
          }
        } else if (j < arms[a][1] + 10) {
          events.add(event("purchase", user, exposedAt.minusMillis(1)));   // before: not a conversion
        } else if (j < arms[a][1] + 20) {
          events.add(event("signup", user, exposedAt.plusSeconds(60)));    // another goal
        }
      }
      // Users of another flag only; and a conversion in another tenant for a user that did not convert here.
      exposures.add(exposure(t, "other-flag", names[a], "elsewhere-" + a, T0));
      events.add(event("purchase", "elsewhere-" + a, T0.plusSeconds(1)));
    }
    store.recordExposures(exposures);
    assertEquals(events.size(), store.recordEvents(t, events));
    store.recordEvents("neighbour", List.of(event("purchase", "green-5", T0.plus(Duration.ofDays(1)))));

    assertEquals(List.of(
            new VariantCounts("blue", 200, 30),
            new VariantCounts("control", 200, 20),
            new VariantCounts("green", 100, 0)),
        store.variantCounts(t, "button", "purchase"));
    assertEquals(List.of(
            new VariantCounts("blue", 200, 10),
            new VariantCounts("control", 200, 10),
            new VariantCounts("green", 100, 10)),
        store.variantCounts(t, "button", "signup"));
    assertEquals(List.of(), store.variantCounts(t, "never-exposed", "purchase"));
    assertEquals(List.of(), store.variantCounts("nobody", "button", "purchase"));
  }

  @Test
  void theFirstExposureCountsWithItsVariantWhateverOrderItArrivesIn() {
    String t = "first";
    store.recordExposures(List.of(exposure(t, "f", "blue", "u1", T0.plusSeconds(10))));
    store.recordExposures(List.of(exposure(t, "f", "green", "u1", T0.plusSeconds(20))));   // later: ignored
    assertEquals(List.of(new VariantCounts("blue", 1, 0)), store.variantCounts(t, "f", "goal"));
    store.recordExposures(List.of(exposure(t, "f", "control", "u1", T0)));                 // earlier: wins
    assertEquals(List.of(new VariantCounts("control", 1, 0)), store.variantCounts(t, "f", "goal"));
    // The same user twice in one batch: the earlier one.
    store.recordExposures(List.of(
        exposure(t, "f", "blue", "u2", T0.plusSeconds(5)), exposure(t, "f", "green", "u2", T0.plusSeconds(1))));
    assertEquals(List.of(new VariantCounts("control", 1, 0), new VariantCounts("green", 1, 0)),
        store.variantCounts(t, "f", "goal"));
    // A conversion between the stored and an earlier exposure counts once the earlier one arrives.
    store.recordEvents(t, List.of(event("goal", "u2", T0.plusMillis(500))));
    assertEquals(List.of(new VariantCounts("control", 1, 0), new VariantCounts("green", 1, 0)),
        store.variantCounts(t, "f", "goal"));
    store.recordExposures(List.of(exposure(t, "f", "blue", "u2", T0)));
    assertEquals(List.of(new VariantCounts("blue", 1, 1), new VariantCounts("control", 1, 0)),
        store.variantCounts(t, "f", "goal"));
  }

  @Test
  void anEventArrivingLateNeitherUndoesNorFakesAConversion() {
    String t = "late";
    store.recordExposures(List.of(exposure(t, "f", "a", "u1", T0), exposure(t, "f", "a", "u2", T0)));
    store.recordEvents(t, List.of(event("goal", "u1", T0.plusSeconds(10))));
    store.recordEvents(t, List.of(event("goal", "u1", T0.minusSeconds(10)), event("goal", "u2", T0.minusSeconds(1))));
    assertEquals(List.of(new VariantCounts("a", 2, 1)), store.variantCounts(t, "f", "goal"));
    store.recordEvents(t, List.of(event("goal", "u2", T0.plusSeconds(1))));
    assertEquals(List.of(new VariantCounts("a", 2, 2)), store.variantCounts(t, "f", "goal"));
  }

  @Test
  void eventsKeepTheirPropertiesAndTimes() throws Exception {
    String t = "props";
    store.recordEvents(t, List.of(
        new AnalyticsEvent("purchase", "u1", "{\"amount\": 12.5, \"currency\": \"EUR\"}", T0),
        new AnalyticsEvent("purchase", "u2", null, T0.plusSeconds(1))));
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT user_id, properties->>'currency', occurred_at, received_at > now() - interval '1 minute' "
                + "FROM analytics_event WHERE tenant = ? ORDER BY user_id")) {
      ps.setString(1, t);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals("u1", rs.getString(1));
        assertEquals("EUR", rs.getString(2));
        assertEquals(T0, rs.getTimestamp(3).toInstant());
        assertEquals(true, rs.getBoolean(4));
        rs.next();
        assertEquals(null, rs.getString(2));
      }
    }
  }

  @Test
  void batchesLargerThanOneStatementAreStoredWhole() {
    String t = "bulk";
    int n = AnalyticsStore.CHUNK * 2 + 17;
    List<AnalyticsEvent> events = new ArrayList<>(n);
    List<Exposure> exposures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      exposures.add(exposure(t, "f", i % 2 == 0 ? "a" : "b", "u" + i, T0));
      events.add(event("goal", "u" + i, T0.plusSeconds(i % 3 == 0 ? 1 : -1)));
    }
    assertEquals(n, store.recordEvents(t, events));
    store.recordExposures(exposures);
    long converted = 0;
    for (int i = 0; i < n; i++) {
      converted += i % 3 == 0 ? 1 : 0;
    }
    List<VariantCounts> counts = store.variantCounts(t, "f", "goal");
    assertEquals(n, counts.stream().mapToLong(VariantCounts::exposedUsers).sum());
    assertEquals(converted, counts.stream().mapToLong(VariantCounts::convertedUsers).sum());
  }

  @Test
  void sdkMetricsOfOneBucketAddUpVariantByVariant() {
    String t = "sdk";
    Instant hour = Instant.parse("2026-03-01T10:00:00Z");
    store.recordMetrics(t, hour, Map.of(
        "button", new MetricCounts(10, 2, Map.of("blue", 6L, "control", 4L)),
        "banner", new MetricCounts(0, 5, Map.of())));
    store.recordMetrics(t, hour, Map.of("button", new MetricCounts(3, 1, Map.of("blue", 1L, "green", 2L))));
    store.recordMetrics(t, hour.plusSeconds(3600), Map.of("button", new MetricCounts(100, 0, Map.of("control", 100L))));
    assertEquals(new MetricCounts(113, 3, Map.of("blue", 7L, "control", 104L, "green", 2L)), store.metrics(t, "button"));
    assertEquals(new MetricCounts(0, 5, Map.of()), store.metrics(t, "banner"));
    assertEquals(MetricCounts.NONE, store.metrics(t, "unknown"));
    assertEquals(MetricCounts.NONE, store.metrics("nobody", "button"));
  }

  @Test
  void emptyBatchesWriteNothing() {
    assertEquals(0, store.recordEvents("empty", List.of()));
    store.recordExposures(List.of());
    store.recordMetrics("empty", T0, Map.of());
    assertEquals(List.of(), store.variantCounts("empty", "f", "goal"));
  }
}
