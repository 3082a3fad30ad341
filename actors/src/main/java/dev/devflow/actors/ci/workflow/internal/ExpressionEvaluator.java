package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.ExpressionContext;
import dev.devflow.actors.ci.workflow.ExpressionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates an {@link Expr} against an {@link ExpressionContext}. {@code &&} and {@code ||}
 * short-circuit and return an operand (not a boolean), as in GitHub. The object filter ({@code .*})
 * yields a {@link Filtered} array whose later property and index steps apply to every element and
 * keep the elements that have the property. Immutable; thread-safe if the context's maps are.
 */
public final class ExpressionEvaluator {

  /** An array produced by the object filter; dereferencing it maps over its elements. */
  static final class Filtered extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;
  }

  private final String expression;
  private final ExpressionContext ctx;

  public ExpressionEvaluator(String expression, ExpressionContext ctx) {
    this.expression = expression;
    this.ctx = ctx;
  }

  public Object eval(Expr e) throws ExpressionException {
    if (e instanceof Expr.Literal lit) {
      return lit.value();
    }
    if (e instanceof Expr.Named named) {
      return Values.property(ctx.contexts(), named.name());
    }
    if (e instanceof Expr.Property p) {
      return index(eval(p.target()), p.name());
    }
    if (e instanceof Expr.Index i) {
      Object target = eval(i.target());
      return index(target, eval(i.index()));
    }
    if (e instanceof Expr.Wildcard w) {
      return wildcard(eval(w.target()));
    }
    if (e instanceof Expr.Not not) {
      return !Values.truthy(eval(not.operand()));
    }
    if (e instanceof Expr.And and) {
      Object left = eval(and.left());
      return Values.truthy(left) ? eval(and.right()) : left;
    }
    if (e instanceof Expr.Or or) {
      Object left = eval(or.left());
      return Values.truthy(left) ? left : eval(or.right());
    }
    if (e instanceof Expr.Compare c) {
      return compare(c);
    }
    Expr.Call call = (Expr.Call) e;
    List<Object> args = new ArrayList<>(call.args().size());
    for (Expr arg : call.args()) {
      args.add(eval(arg));
    }
    return ExpressionFunctions.call(expression, call, args, ctx.status());
  }

  private boolean compare(Expr.Compare c) throws ExpressionException {
    Object left = eval(c.left());
    Object right = eval(c.right());
    switch (c.op()) {
      case EQ:
        return Values.looseEquals(left, right);
      case NE:
        return !Values.looseEquals(left, right);
      default:
        break;
    }
    Integer order = Values.compare(left, right);
    if (order == null) {
      return false;
    }
    return switch (c.op()) {
      case LT -> order < 0;
      case LE -> order <= 0;
      case GT -> order > 0;
      default -> order >= 0;
    };
  }

  private static Object index(Object target, Object key) {
    if (target instanceof Filtered filtered) {
      Filtered out = new Filtered();
      for (Object element : filtered) {
        if (key instanceof String name && Values.hasProperty(element, name)) {
          out.add(Values.property(element, name));
        } else if (key instanceof Number && element instanceof List<?> list) {
          Object item = element(list, (Number) key);
          if (item != null) {
            out.add(item);
          }
        }
      }
      return out;
    }
    if (target instanceof List<?> list) {
      double d = Values.toNumber(key);
      return Double.isNaN(d) || key == null ? null : element(list, d);
    }
    if (target instanceof Map<?, ?>) {
      return key instanceof String || key instanceof Number
          ? Values.property(target, Values.toString(key)) : null;
    }
    return null;
  }

  private static Object element(List<?> list, Number index) {
    double d = index.doubleValue();
    if (d < 0 || d >= list.size() || d != Math.floor(d)) {
      return null;
    }
    return list.get((int) d);
  }

  private static Object wildcard(Object target) {
    Filtered out = new Filtered();
    if (target instanceof Filtered filtered) {
      for (Object element : filtered) {
        addAll(out, element);
      }
      return out;
    }
    if (!(target instanceof List) && !(target instanceof Map)) {
      return null;
    }
    addAll(out, target);
    return out;
  }

  private static void addAll(Filtered out, Object collection) {
    if (collection instanceof List<?> list) {
      out.addAll(list);
    } else if (collection instanceof Map<?, ?> map) {
      out.addAll(map.values());
    }
  }
}
