package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.devflow.actors.Names;
import dev.devflow.actors.flag.experiment.ExperimentStats;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.analytics.AnalyticsEvent;
import dev.devflow.persistence.analytics.AnalyticsStore;
import dev.devflow.persistence.analytics.MetricCounts;
import dev.devflow.persistence.analytics.VariantCounts;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Experiments: {@code POST /api/v1/tenants/{t}/analytics/events} takes conversion events (one, an
 * array, or {@code {"events": [...]}}, at most {@value #MAX_EVENTS}); {@code GET
 * /api/v1/tenants/{t}/flags/{key}/results?goal=&control=} answers per variant with exposed and
 * converted users, the conversion rate and, against the control, the difference with its 95 %
 * interval and the two-proportion z-test's p-value ({@link ExperimentStats}). Exposures come from
 * the evaluate API (through the exposure recorder); {@link #unleashMetrics} stores the counts
 * Unleash SDKs report, which the results show beside the test (they carry no users).
 */
public final class AnalyticsRoutes extends ApiDirectives {

  public static final int MAX_EVENTS = 1_000;
  static final int MAX_EVENT_NAME = 128;
  static final int MAX_USER_ID = 255;
  static final int MAX_VARIANT = 255;
  /** How far ahead of this node's clock an event's timestamp may be. */
  static final Duration MAX_FUTURE = Duration.ofHours(24);
  private static final Set<String> EVENT_FIELDS = Set.of("event", "userId", "properties", "timestamp");

  public record Accepted(int accepted) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record VariantView(
      String variant, long exposedUsers, long convertedUsers,
      @JsonInclude(JsonInclude.Include.ALWAYS) Double conversionRate,
      Double differenceToControl, List<Double> interval, Double pValue) {}

  /** What Unleash SDKs reported for the flag: evaluations (not users), so not part of the test. */
  public record SdkMetricsView(long yes, long no, Map<String, Long> variants) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ResultsView(
      String flag, String goal, String test, double confidence,
      @JsonInclude(JsonInclude.Include.ALWAYS) String control, List<VariantView> variants,
      SdkMetricsView sdkMetrics) {}

  private final AnalyticsStore store;
  private final Executor blocking;

  public AnalyticsRoutes(ActorSystem<?> system, Authenticator authenticator, AnalyticsStore store, long maxBodyBytes) {
    super(authenticator, maxBodyBytes);
    this.store = store;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return concat(
        path(PathMatchers.segment("analytics").slash("events"), () -> label("/api/v1/tenants/{t}/analytics/events", () ->
            post(() -> authenticated(p -> tenantScope(p, t, Role.WRITE, () ->
                jsonBody(JsonNode.class, body -> ingest(t, body))))))),
        path(PathMatchers.segment("flags").slash(PathMatchers.segment()).slash("results"), key ->
            label("/api/v1/tenants/{t}/flags/{key}/results", () ->
                get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () ->
                    parameterOptional("goal", goal -> parameterOptional("control", control ->
                        results(t, key, goal, control)))))))));
  }

  private Route ingest(String t, JsonNode body) {
    List<AnalyticsEvent> events = events(body, Instant.now());
    return completeAsync(blocking(() -> store.recordEvents(t, events)),
        n -> completeJson(StatusCodes.ACCEPTED, new Accepted(n)));
  }

  /** The events of a body in any of its three forms; a 400 names the first wrong field. */
  static List<AnalyticsEvent> events(JsonNode body, Instant now) {
    JsonNode list;
    boolean single = false;
    if (body.isArray()) {
      list = body;
    } else if (body.isObject() && body.has("events")) {
      list = body.get("events");
      Iterator<String> names = body.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!name.equals("events")) {
          throw ProblemException.invalid(name, "unknown field '" + name + "'");
        }
      }
      if (!list.isArray()) {
        throw ProblemException.invalid("events", "events must be an array of events");
      }
    } else if (body.isObject()) {
      list = Json.MAPPER.createArrayNode().add(body);
      single = true;
    } else {
      throw new ProblemException(400, "invalid-json", "Invalid JSON",
          "expected an event, an array of events or {\"events\": [...]}", null);
    }
    if (list.size() > MAX_EVENTS) {
      throw ProblemException.invalid("events", "at most " + MAX_EVENTS + " events per request, got " + list.size());
    }
    List<AnalyticsEvent> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      out.add(event(list.get(i), single ? "" : "events[" + i + "].", now));
    }
    return out;
  }

  private static AnalyticsEvent event(JsonNode e, String at, Instant now) {
    if (!e.isObject()) {
      throw ProblemException.invalid(at.isEmpty() ? null : at.substring(0, at.length() - 1),
          "an event is an object {event, userId, properties?, timestamp?}");
    }
    Iterator<String> names = e.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!EVENT_FIELDS.contains(name)) {
        throw ProblemException.invalid(at + name, "unknown field '" + name + "'");
      }
    }
    String event = text(e, "event", at, MAX_EVENT_NAME);
    String userId = text(e, "userId", at, MAX_USER_ID);
    JsonNode properties = e.get("properties");
    if (properties != null && !properties.isNull() && !properties.isObject()) {
      throw ProblemException.invalid(at + "properties", "properties must be an object");
    }
    Instant occurredAt = now;
    JsonNode ts = e.get("timestamp");
    if (ts != null && !ts.isNull()) {
      occurredAt = timestamp(ts, at + "timestamp");
      if (occurredAt.isAfter(now.plus(MAX_FUTURE))) {
        throw ProblemException.invalid(at + "timestamp", "timestamp is more than 24 hours in the future");
      }
    }
    return new AnalyticsEvent(event, userId,
        properties == null || properties.isNull() ? null : properties.toString(), occurredAt);
  }

  private static String text(JsonNode e, String field, String at, int max) {
    JsonNode v = e.get(field);
    if (v == null || v.isNull()) {
      throw ProblemException.invalid(at + field, field + " is required");
    }
    if (!v.isTextual() || v.asText().isBlank() || v.asText().length() > max) {
      throw ProblemException.invalid(at + field, field + " must be a non-empty string of at most " + max + " characters");
    }
    return v.asText();
  }

  private static Instant timestamp(JsonNode ts, String field) {
    if (ts.isTextual()) {
      try {
        return OffsetDateTime.parse(ts.asText()).toInstant();
      } catch (DateTimeParseException e) {
        // fall through to the problem
      }
    }
    throw ProblemException.invalid(field, "timestamp must be an ISO-8601 time with an offset, such as 2026-03-01T10:00:00Z");
  }

  private Route results(String t, String key, Optional<String> goal, Optional<String> control) {
    if (!Names.isValid(key)) {
      throw ProblemException.notFound("flag " + t + "/" + key + " not found");
    }
    String g = goal.filter(s -> !s.isBlank()).orElseThrow(() ->
        ProblemException.invalid("goal", "goal is required: the analytics event that counts as a conversion"));
    if (g.length() > MAX_EVENT_NAME) {
      throw ProblemException.invalid("goal", "goal is at most " + MAX_EVENT_NAME + " characters");
    }
    if (control.isPresent() && (control.get().isBlank() || control.get().length() > MAX_VARIANT)) {
      throw ProblemException.invalid("control", "control names a variant (at most " + MAX_VARIANT + " characters)");
    }
    return completeAsync(blocking(() -> Map.entry(store.variantCounts(t, key, g), store.metrics(t, key))),
        r -> completeJson(StatusCodes.OK, view(key, g, control, r.getKey(), r.getValue())));
  }

  static ResultsView view(String flag, String goal, Optional<String> controlParam, List<VariantCounts> counts,
      MetricCounts sdk) {
    List<ExperimentStats.Arm> arms = counts.stream()
        .map(c -> new ExperimentStats.Arm(c.variant(), c.exposedUsers(), c.convertedUsers())).toList();
    Optional<String> control = controlParam.or(() -> ExperimentStats.defaultControl(arms));
    List<VariantView> variants = new ArrayList<>();
    if (control.isPresent()) {
      for (ExperimentStats.VariantResult v : ExperimentStats.compute(arms, control.get()).variants()) {
        ExperimentStats.Comparison c = v.comparison();
        variants.add(new VariantView(v.arm().variant(), v.arm().exposed(), v.arm().converted(), v.conversionRate(),
            c == null ? null : c.difference(), c == null ? null : List.of(c.lower(), c.upper()),
            c == null ? null : c.pValue()));
      }
    }
    SdkMetricsView sdkView = sdk.yes() + sdk.no() == 0 && sdk.variants().isEmpty()
        ? null : new SdkMetricsView(sdk.yes(), sdk.no(), sdk.variants());
    return new ResultsView(flag, goal, ExperimentStats.TEST, ExperimentStats.CONFIDENCE, control.orElse(null),
        variants, sdkView);
  }

  /**
   * Stores the bucket of an Unleash SDK metrics report ({@code {start, stop, toggles: {name: {yes,
   * no, variants: {name: n}}}}}) for {@link UnleashRoutes}: counts are kept per hour (the bucket's
   * start, truncated), and add up over reports. Toggles that are not valid flag names and counts
   * that are not non-negative integers are skipped. Blocks on JDBC.
   */
  public static UnleashRoutes.UnleashMetricsSink unleashMetrics(AnalyticsStore store) {
    return (tenant, bucket) -> {
      Instant start = Instant.now();
      JsonNode s = bucket.get("start");
      if (s != null && s.isTextual()) {
        try {
          start = OffsetDateTime.parse(s.asText()).toInstant();
        } catch (DateTimeParseException e) {
          // an unreadable start: count it in the current hour
        }
      }
      Map<String, MetricCounts> perFlag = new LinkedHashMap<>();
      bucket.path("toggles").fields().forEachRemaining(toggle -> {
        if (!Names.isValid(toggle.getKey()) || !toggle.getValue().isObject()) {
          return;
        }
        JsonNode v = toggle.getValue();
        Map<String, Long> variants = new LinkedHashMap<>();
        v.path("variants").fields().forEachRemaining(variant -> {
          long n = count(variant.getValue());
          if (n > 0 && variant.getKey().length() <= MAX_VARIANT) {
            variants.put(variant.getKey(), n);
          }
        });
        long yes = count(v.get("yes"));
        long no = count(v.get("no"));
        if (yes + no > 0 || !variants.isEmpty()) {
          perFlag.put(toggle.getKey(), new MetricCounts(yes, no, variants));
        }
      });
      store.recordMetrics(tenant, start.truncatedTo(ChronoUnit.HOURS), perFlag);
    };
  }

  private static long count(JsonNode n) {
    return n != null && n.canConvertToLong() && n.isIntegralNumber() && n.asLong() > 0 ? n.asLong() : 0;
  }

  private <T> CompletableFuture<T> blocking(Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, blocking);
  }
}
