package dev.devflow.actors.flag.unleash;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Unleash's constraint operators, with the SDKs' exact edge cases: values are trimmed and empty
 * ones dropped; a missing context value fails every operator except {@code NOT_IN}; numbers follow
 * JavaScript's {@code Number()}; versions node-semver (a context version starting with {@code v}
 * never matches); dates are ISO-8601 instants compared with the context's {@code currentTime} (or
 * now); {@code inverted} negates the result.
 */
public final class ConstraintOperators {

  public static final Set<String> OPERATORS = Set.of(
      "IN", "NOT_IN", "STR_ENDS_WITH", "STR_STARTS_WITH", "STR_CONTAINS",
      "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE", "DATE_AFTER", "DATE_BEFORE",
      "SEMVER_EQ", "SEMVER_GT", "SEMVER_LT", "SEMVER_GTE", "SEMVER_LTE", "REGEX", "IN_CIDR");

  private static final Pattern JS_NUMBER = Pattern.compile(
      "^[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?|Infinity)$");
  private static final Map<String, Optional<Pattern>> REGEX_CACHE = new ConcurrentHashMap<>();

  private ConstraintOperators() {}

  /** An unknown operator is false (as in the SDKs), inverted or not. */
  public static boolean matches(UnleashFeatures.Constraint c, UnleashContext ctx) {
    if (c == null || c.operator() == null || !OPERATORS.contains(c.operator())) {
      return false;
    }
    boolean result = evaluate(c, ctx);
    return c.inverted() != result;
  }

  private static boolean evaluate(UnleashFeatures.Constraint c, UnleashContext ctx) {
    String value = ctx.value(c.contextName());
    switch (c.operator()) {
      case "IN", "NOT_IN": {
        boolean in = value != null && clean(c.values()).contains(value);
        return c.operator().equals("IN") == in;
      }
      case "STR_ENDS_WITH", "STR_STARTS_WITH", "STR_CONTAINS": {
        if (value == null) {
          return false;
        }
        List<String> values = clean(c.values());
        String v = value;
        if (c.caseInsensitive()) {
          values = values.stream().map(x -> x.toLowerCase(Locale.ROOT)).toList();
          v = v.toLowerCase(Locale.ROOT);
        }
        String cv = v;
        return switch (c.operator()) {
          case "STR_STARTS_WITH" -> values.stream().anyMatch(cv::startsWith);
          case "STR_ENDS_WITH" -> values.stream().anyMatch(cv::endsWith);
          default -> values.stream().anyMatch(cv::contains);
        };
      }
      case "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE": {
        double target = jsNumber(c.value());
        double actual = jsNumber(value);
        if (Double.isNaN(target) || Double.isNaN(actual)) {
          return false;
        }
        return switch (c.operator()) {
          case "NUM_EQ" -> actual == target;
          case "NUM_GT" -> actual > target;
          case "NUM_GTE" -> actual >= target;
          case "NUM_LT" -> actual < target;
          default -> actual <= target;
        };
      }
      case "DATE_AFTER", "DATE_BEFORE": {
        Optional<Instant> target = instant(c.value());
        String current = ctx.field("currentTime");
        Optional<Instant> now = current == null ? Optional.of(Instant.now()) : instant(current);
        if (target.isEmpty() || now.isEmpty()) {
          return false;
        }
        return c.operator().equals("DATE_AFTER") ? now.get().isAfter(target.get()) : now.get().isBefore(target.get());
      }
      case "SEMVER_EQ", "SEMVER_GT", "SEMVER_LT", "SEMVER_GTE", "SEMVER_LTE": {
        if (value == null || value.isEmpty() || value.startsWith("v")) {
          return false;
        }
        Optional<Semver> actual = Semver.parse(value);
        Optional<Semver> target = Semver.parse(c.value());
        if (actual.isEmpty() || target.isEmpty()) {
          return false;
        }
        int cmp = actual.get().compareTo(target.get());
        return switch (c.operator()) {
          case "SEMVER_EQ" -> cmp == 0;
          case "SEMVER_GT" -> cmp > 0;
          case "SEMVER_LT" -> cmp < 0;
          case "SEMVER_GTE" -> cmp >= 0;
          default -> cmp <= 0;
        };
      }
      case "REGEX": {
        if (value == null || c.value() == null) {
          return false;
        }
        Optional<Pattern> p = REGEX_CACHE.computeIfAbsent((c.caseInsensitive() ? "1:" : "0:") + c.value(),
            k -> re2(c.value(), c.caseInsensitive()));
        if (REGEX_CACHE.size() > 1000) {
          REGEX_CACHE.clear();
        }
        return p.isPresent() && p.get().matcher(value).find();
      }
      case "IN_CIDR": {
        if (value == null) {
          return false;
        }
        for (boolean v6 : new boolean[] {false, true}) {
          Optional<IpRange> address = IpRange.parse(value, v6);
          if (address.isPresent() && !value.contains("/")) {
            return clean(c.values()).stream()
                .map(r -> IpRange.parse(r, v6))
                .anyMatch(r -> r.isPresent() && (r.get().equals(address.get()) || r.get().contains(address.get())));
          }
        }
        return false;
      }
      default:
        return false;
    }
  }

  private static final Pattern RE2_UNSUPPORTED = Pattern.compile("(?<!\\\\)(?:\\\\\\\\)*(?:\\\\[1-9]|\\(\\?(?:=|!|<=|<!|>))");
  private static final Map<String, String> POSIX_CLASSES = Map.ofEntries(
      Map.entry("alpha", "\\p{Alpha}"), Map.entry("digit", "\\p{Digit}"), Map.entry("alnum", "\\p{Alnum}"),
      Map.entry("upper", "\\p{Upper}"), Map.entry("lower", "\\p{Lower}"), Map.entry("space", "\\s"),
      Map.entry("punct", "\\p{Punct}"), Map.entry("xdigit", "\\p{XDigit}"), Map.entry("word", "\\w"),
      Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("graph", "\\p{Graph}"),
      Map.entry("print", "\\p{Print}"), Map.entry("ascii", "\\p{ASCII}"));
  private static final Pattern POSIX = Pattern.compile("\\[:(\\^?)([a-z]+):\\]");

  /**
   * A pattern in RE2 syntax (the SDKs' engine) as a Java pattern: POSIX classes translated;
   * backreferences and look-arounds, which RE2 does not have, make the pattern invalid (false).
   */
  static Optional<Pattern> re2(String re2, boolean caseInsensitive) {
    if (RE2_UNSUPPORTED.matcher(re2).find()) {
      return Optional.empty();
    }
    java.util.regex.Matcher m = POSIX.matcher(re2);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String cls = POSIX_CLASSES.get(m.group(2));
      if (cls == null) {
        return Optional.empty();
      }
      String replacement = m.group(1).isEmpty() ? cls
          : cls.startsWith("\\p") ? "\\P" + cls.substring(2) : cls.toUpperCase(Locale.ROOT);
      m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    try {
      return Optional.of(Pattern.compile(out.toString(), caseInsensitive ? Pattern.CASE_INSENSITIVE : 0));
    } catch (PatternSyntaxException e) {
      return Optional.empty();
    }
  }

  /** The SDKs' {@code cleanValues}: drop empty values, trim the rest. */
  static List<String> clean(List<String> values) {
    return values == null ? List.of() : values.stream().filter(v -> v != null && !v.isEmpty()).map(String::trim).toList();
  }

  /** JavaScript's {@code Number(s)}: blank is 0, anything not a decimal literal is NaN. */
  static double jsNumber(String s) {
    if (s == null) {
      return Double.NaN;
    }
    String t = s.trim();
    if (t.isEmpty()) {
      return 0;
    }
    if (!JS_NUMBER.matcher(t).matches()) {
      return Double.NaN;
    }
    return t.endsWith("Infinity") ? (t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
        : Double.parseDouble(t);
  }

  /** An instant from an ISO-8601 date-time (with offset or Z), or a plain date at midnight UTC. */
  static Optional<Instant> instant(String s) {
    if (s == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(s).toInstant());
    } catch (DateTimeParseException e) {
      try {
        return Optional.of(java.time.LocalDate.parse(s).atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }
}
