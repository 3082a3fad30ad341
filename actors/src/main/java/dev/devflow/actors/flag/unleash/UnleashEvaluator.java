package dev.devflow.actors.flag.unleash;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Evaluates flags exactly as the Unleash SDKs do (ported from unleash-client for Node, checked
 * against Unleash's client specification suite): parent dependencies, strategies in order (the
 * first that is on wins; unknown strategies are off), their constraints and segments, strategy
 * variants before feature variants, overrides, stickiness and the normalised MurmurHash3 buckets
 * (seed 0 for rollouts, 86028157 for variants, string {@code groupId:id}).
 *
 * <p>Stateless and thread-safe.
 */
public final class UnleashEvaluator {

  static final int STRATEGY_SEED = 0;
  static final int VARIANT_SEED = 86028157;

  public static final List<String> STRATEGIES = List.of(
      "default", "userWithId", "flexibleRollout", "gradualRolloutUserId", "gradualRolloutSessionId",
      "gradualRolloutRandom", "remoteAddress", "applicationHostname");

  private UnleashEvaluator() {}

  /** What a strategy decided: on or off, and the strategy's own variant when it has some. */
  private record Result(boolean enabled, VariantResult variant) {
    static final Result OFF = new Result(false, null);
  }

  public static boolean isEnabled(FeatureSet set, String name, UnleashContext ctx) {
    UnleashFeatures.Feature f = set.feature(name);
    return f != null && evaluate(set, f, ctx).enabled();
  }

  public static VariantResult getVariant(FeatureSet set, String name, UnleashContext ctx) {
    UnleashFeatures.Feature f = set.feature(name);
    if (f == null) {
      return VariantResult.disabled(false);
    }
    Result r = evaluate(set, f, ctx);
    if (!r.enabled()) {
      return VariantResult.disabled(false);
    }
    if (r.variant() != null) {
      return r.variant();
    }
    List<UnleashFeatures.Variant> variants = f.variants();
    if (variants == null || variants.isEmpty()) {
      return VariantResult.disabled(true);
    }
    UnleashFeatures.Variant v = select(f.name(), variants.get(0).stickiness(), variants, ctx);
    return v == null ? VariantResult.disabled(true) : new VariantResult(v.name(), true, v.payload(), true);
  }

  private static Result evaluate(FeatureSet set, UnleashFeatures.Feature f, UnleashContext ctx) {
    if (!dependenciesSatisfied(set, f, ctx) || !f.enabled()) {
      return Result.OFF;
    }
    List<UnleashFeatures.Strategy> strategies = f.strategies();
    if (strategies == null || strategies.isEmpty()) {
      return new Result(true, null);
    }
    for (UnleashFeatures.Strategy s : strategies) {
      if (s == null || !STRATEGIES.contains(s.name())) {
        continue;
      }
      Map<String, String> params = s.parameters() == null ? Map.of() : s.parameters();
      if (constraintsHold(set, s, ctx) && strategyOn(s.name(), params, f.name(), ctx)) {
        List<UnleashFeatures.Variant> variants = s.variants();
        if (variants != null && !variants.isEmpty()) {
          String stickiness = variants.get(0).stickiness() != null ? variants.get(0).stickiness() : params.get("stickiness");
          UnleashFeatures.Variant v = select(params.get("groupId"), stickiness, variants, ctx);
          return new Result(true, v == null ? null : new VariantResult(v.name(), true, v.payload(), true));
        }
        return new Result(true, null);
      }
    }
    return Result.OFF;
  }

  private static boolean dependenciesSatisfied(FeatureSet set, UnleashFeatures.Feature f, UnleashContext ctx) {
    if (f.dependencies() == null || f.dependencies().isEmpty()) {
      return true;
    }
    for (UnleashFeatures.Dependency d : f.dependencies()) {
      UnleashFeatures.Feature parent = set.feature(d.feature());
      if (parent == null || (parent.dependencies() != null && !parent.dependencies().isEmpty())) {
        return false;
      }
      boolean ok;
      if (d.enabled() == null || d.enabled()) {
        if (d.variants() != null && !d.variants().isEmpty()) {
          VariantResult v = getVariant(set, parent.name(), ctx);
          ok = v.featureEnabled() && d.variants().contains(v.name());
        } else {
          ok = isEnabled(set, parent.name(), ctx);
        }
      } else {
        ok = !isEnabled(set, parent.name(), ctx);
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The strategy's constraints, then those of its segments; a missing segment fails. */
  private static boolean constraintsHold(FeatureSet set, UnleashFeatures.Strategy s, UnleashContext ctx) {
    if (s.constraints() != null) {
      for (UnleashFeatures.Constraint c : s.constraints()) {
        if (!ConstraintOperators.matches(c, ctx)) {
          return false;
        }
      }
    }
    if (s.segments() != null) {
      for (Integer id : s.segments()) {
        UnleashFeatures.Segment segment = id == null ? null : set.segment(id);
        if (segment == null) {
          return false;
        }
        if (segment.constraints() != null) {
          for (UnleashFeatures.Constraint c : segment.constraints()) {
            if (!ConstraintOperators.matches(c, ctx)) {
              return false;
            }
          }
        }
      }
    }
    return true;
  }

  private static boolean strategyOn(String name, Map<String, String> p, String feature, UnleashContext ctx) {
    switch (name) {
      case "default":
        return true;
      case "userWithId": {
        String user = ctx.field("userId");
        return user != null && p.get("userIds") != null && List.of(p.get("userIds").split("\\s*,\\s*")).contains(user);
      }
      case "flexibleRollout": {
        String groupId = nonEmpty(p.get("groupId")) ? p.get("groupId") : "";
        double percentage = ConstraintOperators.jsNumber(p.get("rollout"));
        String stickiness = nonEmpty(p.get("stickiness")) ? p.get("stickiness") : "default";
        String id = switch (stickiness) {
          case "default" -> nonEmpty(ctx.field("userId")) ? ctx.field("userId")
              : nonEmpty(ctx.field("sessionId")) ? ctx.field("sessionId") : randomId(10000);
          case "random" -> randomId(10000);
          default -> ctx.value(stickiness);
        };
        if (!nonEmpty(id)) {
          return false;
        }
        return percentage > 0 && Murmur3.normalized(id, groupId, 100, STRATEGY_SEED) <= percentage;
      }
      case "gradualRolloutUserId":
      case "gradualRolloutSessionId": {
        String id = ctx.field(name.equals("gradualRolloutUserId") ? "userId" : "sessionId");
        if (!nonEmpty(id)) {
          return false;
        }
        double percentage = ConstraintOperators.jsNumber(p.get("percentage"));
        String groupId = nonEmpty(p.get("groupId")) ? p.get("groupId") : "";
        return percentage > 0 && Murmur3.normalized(id, groupId, 100, STRATEGY_SEED) <= percentage;
      }
      case "gradualRolloutRandom":
        return ConstraintOperators.jsNumber(p.get("percentage")) >= ThreadLocalRandom.current().nextInt(1, 101);
      case "remoteAddress":
        return remoteAddress(p.get("IPs"), ctx.field("remoteAddress"));
      case "applicationHostname": {
        String hosts = p.get("hostNames");
        String me = System.getenv().getOrDefault("HOSTNAME", "undefined").toLowerCase(java.util.Locale.ROOT);
        return hosts != null && List.of(hosts.toLowerCase(java.util.Locale.ROOT).split("\\s*,\\s*")).contains(me);
      }
      default:
        return false;
    }
  }

  private static boolean remoteAddress(String ips, String remote) {
    if (ips == null || ips.isEmpty()) {
      return false;
    }
    for (String range : ips.split("\\s*,\\s*")) {
      if (range.equals(remote)) {
        return true;
      }
      var r = IpRange.parse(range, false);
      var a = IpRange.parse(remote == null ? "" : remote, false);
      if (r.isPresent() && a.isPresent() && r.get().contains(a.get())) {
        return true;
      }
    }
    return false;
  }

  /** The SDKs' {@code selectVariantDefinition}: override, else the weighted bucket. */
  static UnleashFeatures.Variant select(
      String groupId, String stickiness, List<UnleashFeatures.Variant> variants, UnleashContext ctx) {
    int total = variants.stream().mapToInt(UnleashFeatures.Variant::weight).sum();
    if (total <= 0) {
      return null;
    }
    for (UnleashFeatures.Variant v : variants) {
      if (v.overrides() != null) {
        for (UnleashFeatures.Override o : v.overrides()) {
          String value = ctx.value(o.contextName());
          if (o.values() != null && value != null && o.values().contains(value)) {
            return v;
          }
        }
      }
    }
    // JavaScript's template string writes a missing group id as "undefined".
    String group = groupId == null ? "undefined" : groupId;
    int target = Murmur3.normalized(seed(ctx, stickiness), group, total, VARIANT_SEED);
    int counter = 0;
    for (UnleashFeatures.Variant v : variants) {
      if (v.weight() == 0) {
        continue;
      }
      counter += v.weight();
      if (counter >= target) {
        return v;
      }
    }
    return null;
  }

  private static String seed(UnleashContext ctx, String stickiness) {
    if (stickiness != null && !stickiness.equals("default")) {
      String v = ctx.value(stickiness);
      return nonEmpty(v) ? v : randomId(100000);
    }
    for (String key : new String[] {"userId", "sessionId", "remoteAddress"}) {
      String v = ctx.field(key);
      if (nonEmpty(v)) {
        return v;
      }
    }
    return randomId(100000);
  }

  private static String randomId(int max) {
    return String.valueOf(ThreadLocalRandom.current().nextInt(1, max + 1));
  }

  private static boolean nonEmpty(String s) {
    return s != null && !s.isEmpty();
  }
}
