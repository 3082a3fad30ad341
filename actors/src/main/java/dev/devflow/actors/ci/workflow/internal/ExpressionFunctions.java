package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.JobStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * GitHub's expression functions: {@code contains startsWith endsWith format join toJSON fromJSON}
 * and the status functions {@code success failure always cancelled}. Names are case-insensitive
 * ({@code toJson} is {@code toJSON}). {@code hashFiles} parses but fails when evaluated: DevFlow
 * evaluates expressions away from the workspace. Stateless.
 */
public final class ExpressionFunctions {

  /** Canonical name → {minimum, maximum} argument count. */
  private static final Map<String, int[]> ARITY = Map.ofEntries(
      Map.entry("contains", new int[] {2, 2}),
      Map.entry("startsWith", new int[] {2, 2}),
      Map.entry("endsWith", new int[] {2, 2}),
      Map.entry("format", new int[] {1, Integer.MAX_VALUE}),
      Map.entry("join", new int[] {1, 2}),
      Map.entry("toJSON", new int[] {1, 1}),
      Map.entry("fromJSON", new int[] {1, 1}),
      Map.entry("hashFiles", new int[] {1, Integer.MAX_VALUE}),
      Map.entry("success", new int[] {0, 0}),
      Map.entry("failure", new int[] {0, 0}),
      Map.entry("always", new int[] {0, 0}),
      Map.entry("cancelled", new int[] {0, 0}));

  private ExpressionFunctions() {}

  /** The canonical spelling of a function name, or null when there is no such function. */
  static String canonicalName(String name) {
    return ARITY.keySet().stream().filter(k -> k.equalsIgnoreCase(name)).findFirst().orElse(null);
  }

  static int[] arity(String canonicalName) {
    return ARITY.get(canonicalName);
  }

  static boolean isStatusFunction(String canonicalName) {
    return switch (canonicalName) {
      case "success", "failure", "always", "cancelled" -> true;
      default -> false;
    };
  }

  /** Calls {@code call} with its evaluated arguments; errors name {@code expr} and the call's position. */
  static Object call(String expr, Expr.Call call, List<Object> args, JobStatus status) throws ExpressionException {
    switch (call.name()) {
      case "success":
        return status == JobStatus.SUCCESS;
      case "failure":
        return status == JobStatus.FAILURE;
      case "cancelled":
        return status == JobStatus.CANCELLED;
      case "always":
        return true;
      case "contains":
        return contains(args.get(0), args.get(1));
      case "startsWith":
        return lower(args.get(0)).startsWith(lower(args.get(1)));
      case "endsWith":
        return lower(args.get(0)).endsWith(lower(args.get(1)));
      case "format":
        return format(expr, call.position(), args);
      case "join":
        return join(args.get(0), args.size() > 1 ? Values.toString(args.get(1)) : ",");
      case "toJSON":
        return Json.write(args.get(0));
      case "fromJSON":
        return fromJson(expr, call.position(), args.get(0));
      case "hashFiles":
        throw new ExpressionException(expr, call.position(), "hashFiles is not supported");
      default:
        throw new ExpressionException(expr, call.position(), "Unrecognized function: '" + call.name() + "'");
    }
  }

  private static String lower(Object v) {
    return Values.toString(v).toLowerCase(Locale.ROOT);
  }

  private static boolean contains(Object search, Object item) {
    if (search instanceof List<?> list) {
      return list.stream().anyMatch(e -> Values.looseEquals(e, item));
    }
    return lower(search).contains(lower(item));
  }

  private static String join(Object value, String separator) {
    if (value instanceof List<?> list) {
      return list.stream().map(Values::toString).collect(Collectors.joining(separator));
    }
    return Values.toString(value);
  }

  private static Object fromJson(String expr, int position, Object value) throws ExpressionException {
    String text = Values.toString(value);
    if (text.isBlank()) {
      throw new ExpressionException(expr, position, "fromJSON: empty input");
    }
    try {
      return Json.read(text);
    } catch (Json.JsonException e) {
      throw new ExpressionException(expr, position, "fromJSON: invalid JSON: " + e.getMessage());
    }
  }

  /** {@code {N}} is argument N+1 as a string; {@code {{} and {@code }}} stand for braces. */
  private static String format(String expr, int position, List<Object> args) throws ExpressionException {
    String pattern = Values.toString(args.get(0));
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '{' && pattern.startsWith("{{", i)) {
        out.append('{');
        i += 2;
      } else if (c == '}' && pattern.startsWith("}}", i)) {
        out.append('}');
        i += 2;
      } else if (c == '{') {
        int close = pattern.indexOf('}', i);
        String index = close < 0 ? "" : pattern.substring(i + 1, close);
        if (!index.matches("\\d{1,9}")) {
          throw new ExpressionException(expr, position, "The following format string is invalid: '" + pattern + "'");
        }
        int arg = Integer.parseInt(index) + 1;
        if (arg >= args.size()) {
          throw new ExpressionException(expr, position,
              "The following format string references more arguments than were supplied: '" + pattern + "'");
        }
        out.append(Values.toString(args.get(arg)));
        i = close + 1;
      } else if (c == '}') {
        throw new ExpressionException(expr, position, "The following format string is invalid: '" + pattern + "'");
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
