package dev.devflow.actors.flag.unleash;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a feature before it is saved, so that what SDKs receive is what the author meant: known
 * strategies and operators, rollout percentages 0–100, well-formed semver, dates, numbers, regular
 * expressions and CIDR ranges, sensible variant weights and payloads. Each problem names its field
 * as {@code strategies[0].parameters.rollout}.
 */
public final class FlagValidation {

  public record Problem(String field, String message) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> PAYLOAD_TYPES = Set.of("string", "json", "csv", "number");
  private static final Set<String> LIST_OPERATORS =
      Set.of("IN", "NOT_IN", "STR_ENDS_WITH", "STR_STARTS_WITH", "STR_CONTAINS", "IN_CIDR");

  private FlagValidation() {}

  public static List<Problem> problems(UnleashFeatures.Feature f) {
    List<Problem> out = new ArrayList<>();
    List<UnleashFeatures.Strategy> strategies = f.strategies() == null ? List.of() : f.strategies();
    for (int i = 0; i < strategies.size(); i++) {
      strategy(strategies.get(i), "strategies[" + i + "]", out);
    }
    variants(f.variants(), "variants", out);
    return out;
  }

  private static void strategy(UnleashFeatures.Strategy s, String at, List<Problem> out) {
    if (s.name() == null || !UnleashEvaluator.STRATEGIES.contains(s.name())) {
      out.add(new Problem(at + ".name", "unknown strategy '" + s.name() + "'; known: " + UnleashEvaluator.STRATEGIES));
      return;
    }
    Map<String, String> p = s.parameters() == null ? Map.of() : s.parameters();
    switch (s.name()) {
      case "flexibleRollout" -> percentage(p, "rollout", at, out);
      case "gradualRolloutUserId", "gradualRolloutSessionId", "gradualRolloutRandom" -> percentage(p, "percentage", at, out);
      case "userWithId" -> {
        if (p.get("userIds") == null || p.get("userIds").isBlank()) {
          out.add(new Problem(at + ".parameters.userIds", "userIds is a comma-separated list of user ids"));
        }
      }
      case "remoteAddress" -> {
        String ips = p.get("IPs");
        if (ips == null || ips.isBlank()) {
          out.add(new Problem(at + ".parameters.IPs", "IPs is a comma-separated list of IPv4 addresses or ranges"));
        } else {
          for (String ip : ips.split("\\s*,\\s*")) {
            if (IpRange.parse(ip, false).isEmpty()) {
              out.add(new Problem(at + ".parameters.IPs", "not an IPv4 address or range: " + ip));
            }
          }
        }
      }
      default -> { }
    }
    List<UnleashFeatures.Constraint> constraints = s.constraints() == null ? List.of() : s.constraints();
    for (int j = 0; j < constraints.size(); j++) {
      constraint(constraints.get(j), at + ".constraints[" + j + "]", out);
    }
    if (s.segments() != null && !s.segments().isEmpty()) {
      out.add(new Problem(at + ".segments", "segments are not supported; put the constraints on the strategy"));
    }
    variants(s.variants(), at + ".variants", out);
  }

  private static void percentage(Map<String, String> p, String name, String at, List<Problem> out) {
    String v = p.get(name);
    boolean ok = v != null && v.trim().matches("\\d{1,3}") && Integer.parseInt(v.trim()) <= 100;
    if (!ok) {
      out.add(new Problem(at + ".parameters." + name, name + " must be a whole number from 0 to 100, not " + v));
    }
  }

  private static void constraint(UnleashFeatures.Constraint c, String at, List<Problem> out) {
    if (c.contextName() == null || c.contextName().isBlank()) {
      out.add(new Problem(at + ".contextName", "contextName is required"));
    }
    String op = c.operator();
    if (op == null || !ConstraintOperators.OPERATORS.contains(op)) {
      out.add(new Problem(at + ".operator", "unknown operator '" + op + "'; known: "
          + ConstraintOperators.OPERATORS.stream().sorted().toList()));
      return;
    }
    if (LIST_OPERATORS.contains(op)) {
      if (ConstraintOperators.clean(c.values()).isEmpty()) {
        out.add(new Problem(at + ".values", op + " needs at least one value"));
      }
      if (op.equals("IN_CIDR")) {
        for (String range : ConstraintOperators.clean(c.values())) {
          if (IpRange.parse(range, false).isEmpty() && IpRange.parse(range, true).isEmpty()) {
            out.add(new Problem(at + ".values", "not an IP address or CIDR range: " + range));
          }
        }
      }
      return;
    }
    String v = c.value();
    String kind = op.contains("_") ? op.substring(0, op.indexOf('_')) : op;
    boolean valid = switch (kind) {
      case "NUM" -> v != null && !v.isBlank() && !Double.isNaN(ConstraintOperators.jsNumber(v));
      case "DATE" -> ConstraintOperators.instant(v).isPresent();
      case "SEMVER" -> v != null && !v.startsWith("v") && Semver.parse(v).isPresent();
      case "REGEX" -> v != null && ConstraintOperators.re2(v, c.caseInsensitive()).isPresent();
      default -> true;
    };
    if (!valid) {
      out.add(new Problem(at + ".value", switch (kind) {
        case "NUM" -> "a number is required, not " + v;
        case "DATE" -> "an ISO-8601 date-time is required (2026-12-01T00:00:00Z), not " + v;
        case "SEMVER" -> "a semantic version is required (1.2.3 or 1.2.3-rc.1), not " + v;
        default -> "not a valid regular expression (RE2 syntax: no backreferences or look-arounds): " + v;
      }));
    }
  }

  private static void variants(List<UnleashFeatures.Variant> variants, String at, List<Problem> out) {
    if (variants == null || variants.isEmpty()) {
      return;
    }
    Set<String> names = new HashSet<>();
    int total = 0;
    for (int k = 0; k < variants.size(); k++) {
      UnleashFeatures.Variant v = variants.get(k);
      String here = at + "[" + k + "]";
      if (v.name() == null || v.name().isBlank() || !names.add(v.name())) {
        out.add(new Problem(here + ".name", "every variant needs a name of its own"));
      }
      if (v.weight() < 0 || v.weight() > 1000) {
        out.add(new Problem(here + ".weight", "weight must be 0 to 1000, not " + v.weight()));
      }
      total += Math.max(v.weight(), 0);
      UnleashFeatures.Payload payload = v.payload();
      if (payload != null) {
        if (!PAYLOAD_TYPES.contains(payload.type())) {
          out.add(new Problem(here + ".payload.type", "payload type is one of " + PAYLOAD_TYPES.stream().sorted().toList()));
        } else if (payload.type().equals("json") && !isJson(payload.value())) {
          out.add(new Problem(here + ".payload.value", "a json payload must be valid JSON"));
        } else if (payload.type().equals("number") && Double.isNaN(ConstraintOperators.jsNumber(payload.value()))) {
          out.add(new Problem(here + ".payload.value", "a number payload must be a number"));
        }
      }
    }
    if (total <= 0) {
      out.add(new Problem(at, "the variants' weights must add up to more than 0"));
    } else if (total > 1000) {
      out.add(new Problem(at, "the variants' weights add up to " + total + "; at most 1000 (Unleash's scale)"));
    }
  }

  private static boolean isJson(String s) {
    try {
      return s != null && JSON.readTree(s) != null;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
