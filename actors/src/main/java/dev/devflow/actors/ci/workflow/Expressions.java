package dev.devflow.actors.ci.workflow;

import dev.devflow.actors.ci.workflow.internal.Expr;
import dev.devflow.actors.ci.workflow.internal.ExpressionEvaluator;
import dev.devflow.actors.ci.workflow.internal.ExpressionParser;
import dev.devflow.actors.ci.workflow.internal.Values;
import java.util.ArrayList;
import java.util.List;

/**
 * GitHub Actions expressions: evaluation of one expression, interpolation of {@code ${{ }}} in a
 * template, {@code if:} conditions, and syntax checks used at parse time. Semantics follow GitHub's
 * documentation: loose equality with number coercion, case-insensitive string comparison,
 * {@code &&}/{@code ||} returning operands, case-insensitive property and function names, missing
 * properties as null. Stateless and thread-safe.
 */
public final class Expressions {

  private Expressions() {}

  /** Evaluates an expression written without {@code ${{ }}}. */
  public static Object evaluate(String expression, ExpressionContext ctx) throws ExpressionException {
    return new ExpressionEvaluator(expression, ctx).eval(ExpressionParser.parse(expression));
  }

  /** Replaces every {@code ${{ ... }}} in template by the string form of its value. */
  public static String interpolate(String template, ExpressionContext ctx) throws ExpressionException {
    if (template == null) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    int copied = 0;
    for (Segment s : segments(template)) {
      out.append(template, copied, s.start());
      out.append(Values.toString(evaluateIn(template, s, ctx)));
      copied = s.end();
    }
    return out.append(template.substring(copied)).toString();
  }

  /**
   * An {@code if:} value: null or blank means {@code success()}; an optional surrounding
   * {@code ${{ }}} is removed; when the expression calls none of {@code success() failure()
   * always() cancelled()} it means {@code success() && (expr)}. A value mixing text and
   * {@code ${{ }}} is, as in GitHub, a string, true when not empty.
   */
  public static boolean condition(String ifExpr, ExpressionContext ctx) throws ExpressionException {
    String expression = conditionExpression(ifExpr);
    if (expression == null) {
      return ctx.status() == JobStatus.SUCCESS;
    }
    if (isMixedTemplate(ifExpr)) {
      return ctx.status() == JobStatus.SUCCESS && truthy(interpolate(ifExpr.trim(), ctx));
    }
    Expr tree = ExpressionParser.parse(expression);
    if (!tree.callsStatusFunction() && ctx.status() != JobStatus.SUCCESS) {
      return false;
    }
    return truthy(new ExpressionEvaluator(expression, ctx).eval(tree));
  }

  /** Syntax check only (used at parse time so that errors surface with file:line:column). */
  public static void check(String expression) throws ExpressionException {
    ExpressionParser.parse(expression);
  }

  /** Checks every {@code ${{ }}} in a template; an error's position is within the whole template. */
  public static void checkTemplate(String template) throws ExpressionException {
    for (Segment s : segments(template)) {
      String inner = template.substring(s.innerStart(), s.innerEnd());
      try {
        ExpressionParser.parse(inner);
      } catch (ExpressionException e) {
        int position = e.position() == 0 ? s.start() + 1 : s.innerStart() + e.position();
        throw new ExpressionException(template, position, e.reason());
      }
    }
  }

  /** Checks an {@code if:} value as {@link #condition} reads it. */
  public static void checkCondition(String ifExpr) throws ExpressionException {
    String expression = conditionExpression(ifExpr);
    if (expression == null) {
      return;
    }
    if (isMixedTemplate(ifExpr)) {
      checkTemplate(ifExpr.trim());
      return;
    }
    String trimmed = ifExpr.trim();
    try {
      ExpressionParser.parse(expression);
    } catch (ExpressionException e) {
      int offset = trimmed.startsWith("${{") ? ifExpr.indexOf("${{") + 3 : ifExpr.indexOf(trimmed);
      throw new ExpressionException(ifExpr, e.position() == 0 ? 0 : offset + e.position(), e.reason());
    }
  }

  public static boolean truthy(Object v) {
    return Values.truthy(v);
  }

  /** GitHub's string coercion: null → "", true → "true", numbers without ".0", objects and arrays as JSON. */
  public static String toString(Object v) {
    return Values.toString(v);
  }

  /** The expression an {@code if:} holds, without a surrounding {@code ${{ }}}; null when blank. */
  private static String conditionExpression(String ifExpr) throws ExpressionException {
    if (ifExpr == null || ifExpr.isBlank()) {
      return null;
    }
    String t = ifExpr.trim();
    if (t.startsWith("${{")) {
      List<Segment> segments = segments(t);
      if (segments.size() == 1 && segments.get(0).end() == t.length()) {
        return t.substring(segments.get(0).innerStart(), segments.get(0).innerEnd());
      }
    }
    return t;
  }

  private static boolean isMixedTemplate(String ifExpr) throws ExpressionException {
    String t = ifExpr.trim();
    if (!t.contains("${{")) {
      return false;
    }
    List<Segment> segments = segments(t);
    return !(segments.size() == 1 && segments.get(0).start() == 0 && segments.get(0).end() == t.length());
  }

  private static Object evaluateIn(String template, Segment s, ExpressionContext ctx) throws ExpressionException {
    String inner = template.substring(s.innerStart(), s.innerEnd());
    try {
      return evaluate(inner, ctx);
    } catch (ExpressionException e) {
      int position = e.position() == 0 ? s.start() + 1 : s.innerStart() + e.position();
      throw new ExpressionException(template, position, e.reason());
    }
  }

  /** One {@code ${{ ... }}}: {@code start} at "$", {@code end} after "}}", inner text between. */
  private record Segment(int start, int innerStart, int innerEnd, int end) {}

  /** Finds the {@code ${{ }}} segments; a "}}" inside a 'string' does not close one. */
  private static List<Segment> segments(String template) throws ExpressionException {
    List<Segment> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int start = template.indexOf("${{", from);
      if (start < 0) {
        return out;
      }
      int i = start + 3;
      boolean inString = false;
      int close = -1;
      while (i < template.length()) {
        char c = template.charAt(i);
        if (c == '\'') {
          inString = !inString;
        } else if (!inString && c == '}' && template.startsWith("}}", i)) {
          close = i;
          break;
        }
        i++;
      }
      if (close < 0) {
        throw new ExpressionException(template, start + 1, "The expression is not closed. An unescaped ${{ sequence was found, but the closing }} sequence was not found");
      }
      out.add(new Segment(start, start + 3, close, close + 2));
      from = close + 2;
    }
  }
}
