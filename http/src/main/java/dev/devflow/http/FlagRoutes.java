package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.Names;
import dev.devflow.actors.flag.FeatureFlag;
import dev.devflow.actors.flag.FlagCatalog;
import dev.devflow.actors.flag.FlagDefinition;
import dev.devflow.actors.flag.TenantFlags;
import dev.devflow.actors.flag.FlagEvaluation;
import dev.devflow.actors.flag.unleash.FlagValidation;
import dev.devflow.actors.flag.unleash.UnleashContext;
import dev.devflow.actors.flag.unleash.UnleashFeatures;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.unleash.UnleashInstanceStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tenants/{t}/flags} (API.md "Feature flags"): define (PUT, create or replace),
 * list, get, archive (DELETE), and evaluate. Reads and evaluation use this node's
 * {@link FlagCatalog}; only writes go to the {@link FeatureFlag} entity.
 */
public final class FlagRoutes extends ApiDirectives {

  /** PUT body. {@code parameters} values may be strings or numbers (Unleash sends strings). */
  public record PutFlag(
      Boolean enabled, String description, String minPlan, List<StrategyBody> strategies,
      List<FlagDefinition.Variant> variants) {}

  public record StrategyBody(
      String name, Map<String, Object> parameters, List<FlagDefinition.Constraint> constraints,
      List<FlagDefinition.Variant> variants, List<Integer> segments) {}

  /** POST /flags/evaluate body (API.md): {@code keys} null means every flag. */
  public record EvaluateBody(EvaluationContext context, List<String> keys) {}

  public record EvaluationContext(
      String userId, String sessionId, String remoteAddress, String environment, String appName, String currentTime,
      Map<String, Object> properties) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record FlagView(
      String key, boolean enabled, String description, String minPlan, List<FlagDefinition.Strategy> strategies,
      List<FlagDefinition.Variant> variants, long version, Instant createdAt, Instant updatedAt) {}

  private static final ObjectMapper UNLEASH = new ObjectMapper()
      .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final ClusterSharding sharding;
  private final FlagCatalog catalog;
  private final FlagEvaluation evaluation;
  private final Duration askTimeout;
  private final UnleashInstanceStore instances;
  private final Executor blocking;

  public FlagRoutes(ActorSystem<?> system, Authenticator authenticator, FlagCatalog catalog, FlagEvaluation evaluation,
      UnleashInstanceStore instances, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.catalog = catalog;
    this.evaluation = evaluation;
    this.askTimeout = askTimeout;
    this.instances = instances;
    this.blocking = system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return concat(path("sdk-instances", () -> label("/api/v1/tenants/{t}/sdk-instances", () ->
        get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () ->
            completeAsync(CompletableFuture.supplyAsync(() -> instances.list(t), blocking),
                list -> completeJson(StatusCodes.OK, Map.of("items", list)))))))), flags(t));
  }

  private Route flags(String t) {
    return pathPrefix("flags", () -> concat(
        pathEnd(() -> label("/api/v1/tenants/{t}/flags", () ->
            get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () -> list(t)))))),
        path("evaluate", () -> label("/api/v1/tenants/{t}/flags/evaluate", () ->
            post(() -> authenticated(p -> tenantScope(p, t, Role.READ, () ->
                jsonBody(EvaluateBody.class, body -> evaluate(t, body))))))),
        pathPrefix(PathMatchers.segment(), key -> pathEnd(() -> label("/api/v1/tenants/{t}/flags/{key}", () -> concat(
            put(() -> authenticated(p -> audited(p, t, "flag.put", "flags/" + key, () ->
                tenantScope(p, t, Role.WRITE, () -> define(t, key))))),
            get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () -> one(t, key)))),
            delete(() -> authenticated(p -> audited(p, t, "flag.archive", "flags/" + key, () ->
                tenantScope(p, t, Role.WRITE, () -> archive(t, key)))))))))));
  }

  private Route evaluate(String t, EvaluateBody body) {
    EvaluationContext c = body.context() == null
        ? new EvaluationContext(null, null, null, null, null, null, null) : body.context();
    Map<String, String> fields = new LinkedHashMap<>();
    put(fields, "userId", c.userId());
    put(fields, "sessionId", c.sessionId());
    put(fields, "remoteAddress", c.remoteAddress());
    put(fields, "environment", c.environment());
    put(fields, "appName", c.appName());
    put(fields, "currentTime", c.currentTime());
    Map<String, String> properties = new LinkedHashMap<>();
    if (c.properties() != null) {
      c.properties().forEach((k, v) -> {
        if (v != null && !(v instanceof String || v instanceof Number || v instanceof Boolean)) {
          throw ProblemException.invalid("context.properties." + k, "property values are strings, numbers or booleans");
        }
        put(properties, k, v == null ? null : String.valueOf(v));
      });
    }
    if (body.keys() != null && body.keys().size() > 1000) {
      throw ProblemException.invalid("keys", "at most 1000 keys per request");
    }
    return completeJson(StatusCodes.OK, evaluation.evaluate(t, new UnleashContext(fields, properties), body.keys()));
  }

  private static void put(Map<String, String> m, String k, String v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  private Route list(String t) {
    TenantFlags flags = catalog.of(t);
    List<FlagView> items = flags.flags().values().stream()
        .map(f -> view(f.key(), f.definition(), f.version(), null, null)).toList();
    return completeJson(StatusCodes.OK, Map.of("items", items));
  }

  /** Read from the entity: right after a PUT the caller sees its own write, on any node. */
  private Route one(String t, String key) {
    if (!Names.isValid(key)) {
      throw ProblemException.notFound("flag " + t + "/" + key + " not found");
    }
    return completeAsync(flag(t, key).<FeatureFlag.Summary>askWithStatus(FeatureFlag.Get::new, askTimeout),
        s -> completeJson(StatusCodes.OK, view(s)));
  }

  private Route define(String t, String key) {
    if (!Names.isValid(key)) {
      throw ProblemException.invalid("key", "flag keys must match " + Names.PATTERN.pattern());
    }
    return jsonBody(PutFlag.class, body -> {
      FlagDefinition d = definition(key, body);
      validate(key, d);
      return completeAsync(
          flag(t, key).<FeatureFlag.Summary>askWithStatus(r -> new FeatureFlag.Define(d, r), askTimeout),
          s -> s.created()
              ? respondWithHeader(Location.create("/api/v1/tenants/" + t + "/flags/" + key),
                  () -> completeJson(StatusCodes.CREATED, view(s)))
              : completeJson(StatusCodes.OK, view(s)));
    });
  }

  private Route archive(String t, String key) {
    if (!Names.isValid(key)) {
      throw ProblemException.notFound("flag " + t + "/" + key + " not found");
    }
    return completeAsync(flag(t, key).<Done>askWithStatus(FeatureFlag.Archive::new, askTimeout),
        d -> complete(StatusCodes.NO_CONTENT));
  }

  /** Strategies that hash users into buckets; Unleash's server gives them the flag key as group. */
  private static final java.util.Set<String> GROUPED =
      java.util.Set.of("flexibleRollout", "gradualRolloutUserId", "gradualRolloutSessionId");

  private static FlagDefinition definition(String key, PutFlag body) {
    if (body.enabled() == null) {
      throw ProblemException.invalid("enabled", "enabled is required (true or false)");
    }
    List<FlagDefinition.Strategy> strategies = new ArrayList<>();
    List<StrategyBody> in = body.strategies() == null ? List.of() : body.strategies();
    for (int i = 0; i < in.size(); i++) {
      StrategyBody s = in.get(i);
      if (s == null || s.name() == null) {
        throw ProblemException.invalid("strategies[" + i + "].name", "every strategy needs a name");
      }
      Map<String, String> params = new LinkedHashMap<>();
      if (s.parameters() != null) {
        for (Map.Entry<String, Object> p : s.parameters().entrySet()) {
          Object v = p.getValue();
          if (v != null && !(v instanceof String) && !(v instanceof Number) && !(v instanceof Boolean)) {
            throw ProblemException.invalid("strategies[" + i + "].parameters." + p.getKey(),
                "parameter values are strings or numbers");
          }
          params.put(p.getKey(), v == null ? "" : String.valueOf(v));
        }
      }
      // As the Unleash server does: without a group id every such flag would pick the same users.
      if (GROUPED.contains(s.name()) && (params.get("groupId") == null || params.get("groupId").isBlank())) {
        params.put("groupId", key);
      }
      strategies.add(new FlagDefinition.Strategy(s.name(), params, s.constraints(), s.variants(), s.segments()));
    }
    if (body.description() != null && body.description().length() > 1000) {
      throw ProblemException.invalid("description", "description is at most 1000 characters");
    }
    if (body.minPlan() != null && Plan.parse(body.minPlan()).isEmpty()) {
      throw ProblemException.invalid("minPlan", "unknown plan '" + body.minPlan() + "'; one of free, team, enterprise");
    }
    requireWeights(body.variants(), "variants");
    for (int i = 0; i < strategies.size(); i++) {
      requireWeights(strategies.get(i).variants(), "strategies[" + i + "].variants");
    }
    return new FlagDefinition(body.enabled(), body.description(), body.minPlan(), strategies, body.variants());
  }

  private static void requireWeights(List<FlagDefinition.Variant> variants, String at) {
    if (variants == null) {
      return;
    }
    for (int i = 0; i < variants.size(); i++) {
      if (variants.get(i) == null || variants.get(i).weight() == null) {
        throw ProblemException.invalid(at + "[" + i + "].weight", "every variant needs a weight (0 to 1000)");
      }
    }
  }

  /** Unleash's rules (strategy names, operators, rollout, weights, semver and dates). */
  private static void validate(String key, FlagDefinition d) {
    Map<String, Object> feature = new LinkedHashMap<>();
    feature.put("name", key);
    feature.put("enabled", d.enabled());
    feature.put("strategies", d.strategies());
    feature.put("variants", d.variants());
    UnleashFeatures.Feature parsed = UNLEASH.convertValue(feature, UnleashFeatures.Feature.class);
    List<FlagValidation.Problem> problems = FlagValidation.problems(parsed);
    if (!problems.isEmpty()) {
      FlagValidation.Problem first = problems.get(0);
      throw ProblemException.invalid(first.field(), first.message());
    }
  }

  private EntityRef<FeatureFlag.Command> flag(String t, String key) {
    return sharding.entityRefFor(FeatureFlag.ENTITY_KEY, FeatureFlag.entityId(t, key));
  }

  private static FlagView view(FeatureFlag.Summary s) {
    return view(s.key(), s.definition(), s.version(), s.createdAt(), s.updatedAt());
  }

  private static FlagView view(String key, FlagDefinition d, long version, Instant createdAt, Instant updatedAt) {
    return new FlagView(key, d.enabled(), d.description(), d.minPlan(), d.strategies(), d.variants(), version,
        createdAt, updatedAt);
  }
}
