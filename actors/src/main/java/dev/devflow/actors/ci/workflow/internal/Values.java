package dev.devflow.actors.ci.workflow.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * GitHub's value rules for expressions: truthiness, conversion to number and to string, loose
 * equality and ordering (GitHub "Operators" documentation). Values are JSON-like: null,
 * {@link Boolean}, {@link Number}, {@link String}, {@link List}, {@link Map}. Stateless.
 */
public final class Values {

  private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final MathContext G15 = new MathContext(15);

  private Values() {}

  /** Falsy: false, 0, -0, NaN, "", null. Everything else, arrays and objects included, is truthy. */
  public static boolean truthy(Object v) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d != 0 && !Double.isNaN(d);
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    return true;
  }

  /** null → 0, booleans → 1/0, strings parsed as numbers (see {@link #parseNumber}), else NaN. */
  public static double toNumber(Object v) {
    if (v == null) {
      return 0;
    }
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      return parseNumber(s);
    }
    return Double.NaN;
  }

  /** Parses a string as GitHub coerces one: trimmed, "" → 0, decimal with exponent, {@code 0x} hex,
   *  {@code 0o} octal, ±Infinity; anything else is NaN. */
  public static double parseNumber(String text) {
    String s = text.trim();
    if (s.isEmpty()) {
      return 0;
    }
    if (DECIMAL.matcher(s).matches()) {
      return Double.parseDouble(s);
    }
    if (s.length() > 2 && (s.startsWith("0x") || s.startsWith("0o"))) {
      try {
        return new BigInteger(s.substring(2), s.charAt(1) == 'x' ? 16 : 8).doubleValue();
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    if (s.equals("Infinity") || s.equals("-Infinity")) {
      return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    return Double.NaN;
  }

  /** GitHub's string form: null → "", booleans and numbers as text (15 significant digits, no ".0"),
   *  arrays and objects as JSON. */
  public static String toString(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Boolean b) {
      return b.toString();
    }
    if (v instanceof Number n) {
      return formatNumber(n.doubleValue());
    }
    return Json.write(v);
  }

  /** A number as .NET's "G15" format writes it, the way GitHub prints numbers. */
  public static String formatNumber(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return "0";
    }
    BigDecimal bd = new BigDecimal(d).round(G15).stripTrailingZeros();
    int exponent = bd.precision() - bd.scale() - 1;
    if (exponent >= 15 || exponent < -5) {
      String mantissa = bd.movePointLeft(exponent).toPlainString();
      return mantissa + "E" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
    return bd.toPlainString();
  }

  /** The kind a value has for comparisons. */
  enum Kind { NULL, BOOLEAN, NUMBER, STRING, ARRAY, OBJECT }

  static Kind kind(Object v) {
    if (v == null) {
      return Kind.NULL;
    }
    if (v instanceof Boolean) {
      return Kind.BOOLEAN;
    }
    if (v instanceof Number) {
      return Kind.NUMBER;
    }
    if (v instanceof String) {
      return Kind.STRING;
    }
    return v instanceof List ? Kind.ARRAY : Kind.OBJECT;
  }

  /** {@code ==}: same kinds compare directly (strings ignoring case, arrays and objects by identity);
   *  different kinds are both converted to numbers. NaN equals nothing. */
  public static boolean looseEquals(Object a, Object b) {
    Kind ka = kind(a);
    Kind kb = kind(b);
    if (ka != kb) {
      return toNumber(a) == toNumber(b);
    }
    return switch (ka) {
      case NULL -> true;
      case BOOLEAN -> a.equals(b);
      case NUMBER -> ((Number) a).doubleValue() == ((Number) b).doubleValue();
      case STRING -> ((String) a).equalsIgnoreCase((String) b);
      case ARRAY, OBJECT -> a == b;
    };
  }

  /** Ordering for {@code < <= > >=}: negative, zero or positive, or null when the values do not
   *  compare (NaN, arrays, objects) and every ordering operator is then false. */
  public static Integer compare(Object a, Object b) {
    Kind ka = kind(a);
    Kind kb = kind(b);
    if (ka == kb) {
      switch (ka) {
        case NULL:
          return 0;
        case BOOLEAN:
          return Boolean.compare((Boolean) a, (Boolean) b);
        case STRING:
          return ((String) a).compareToIgnoreCase((String) b);
        case ARRAY:
        case OBJECT:
          return null;
        default:
          break;
      }
    }
    double x = toNumber(a);
    double y = toNumber(b);
    if (Double.isNaN(x) || Double.isNaN(y)) {
      return null;
    }
    return Double.compare(x == 0 ? 0 : x, y == 0 ? 0 : y);
  }

  /** Property {@code name} of an object, matched ignoring case; null when absent or not an object. */
  public static Object property(Object target, String name) {
    if (!(target instanceof Map<?, ?> map)) {
      return null;
    }
    if (map.containsKey(name)) {
      return map.get(name);
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (e.getKey() instanceof String k && k.equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** Whether an object has property {@code name} (ignoring case). */
  static boolean hasProperty(Object target, String name) {
    if (!(target instanceof Map<?, ?> map)) {
      return false;
    }
    if (map.containsKey(name)) {
      return true;
    }
    return map.keySet().stream().anyMatch(k -> k instanceof String s && s.equalsIgnoreCase(name));
  }
}
