package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.WorkflowException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expands a matrix as GitHub does. The combinations are the product of the matrix keys, the first key
 * varying slowest. Each {@code exclude} entry removes the combinations it matches partially (its
 * keys only; a mapping value matches a mapping that contains it). Then each {@code include} entry
 * is added to every remaining original combination whose matrix keys it does not change (its other
 * keys are added, overwriting values added by earlier includes); an entry that fits no original
 * combination becomes a combination of its own. No matrix keys and no includes gives one empty
 * combination. More than {@value #MAX} combinations is an error. Stateless.
 */
public final class MatrixExpander {

  public static final int MAX = 256;
  /** Bound on the product before exclusion, so that a huge product fails before it is built. */
  private static final long MAX_PRODUCT = 10_000;

  private MatrixExpander() {}

  public static List<Map<String, Object>> expand(Map<String, List<Object>> matrix,
      List<Map<String, Object>> include, List<Map<String, Object>> exclude) throws WorkflowException {
    if (matrix.isEmpty() && include.isEmpty()) {
      return List.of(Map.of());
    }
    long product = matrix.isEmpty() ? 0 : 1;
    for (List<Object> values : matrix.values()) {
      product *= values.size();
      if (product > MAX_PRODUCT) {
        throw new WorkflowException(null, 0, 0, "the matrix has more than " + MAX_PRODUCT
            + " combinations before exclude; at most " + MAX + " jobs are allowed");
      }
    }
    List<Map<String, Object>> combinations = new ArrayList<>();
    if (!matrix.isEmpty()) {
      product(new ArrayList<>(matrix.entrySet()), 0, new LinkedHashMap<>(), combinations);
    }
    combinations.removeIf(c -> exclude.stream().anyMatch(e -> partialMatch(e, c)));
    List<Map<String, Object>> added = new ArrayList<>();
    for (Map<String, Object> entry : include) {
      boolean extended = false;
      for (Map<String, Object> c : combinations) {
        if (keepsOriginals(entry, c, matrix)) {
          entry.forEach((k, v) -> {
            if (!matrix.containsKey(k)) {
              c.put(k, v);
            }
          });
          extended = true;
        }
      }
      if (!extended) {
        added.add(new LinkedHashMap<>(entry));
      }
    }
    combinations.addAll(added);
    if (combinations.size() > MAX) {
      throw new WorkflowException(null, 0, 0, "the matrix has " + combinations.size()
          + " combinations; at most " + MAX + " jobs are allowed");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    combinations.forEach(c -> out.add(Collections.unmodifiableMap(c)));
    return Collections.unmodifiableList(out);
  }

  private static void product(List<Map.Entry<String, List<Object>>> dims, int d, Map<String, Object> current,
      List<Map<String, Object>> out) {
    if (d == dims.size()) {
      out.add(new LinkedHashMap<>(current));
      return;
    }
    for (Object value : dims.get(d).getValue()) {
      current.put(dims.get(d).getKey(), value);
      product(dims, d + 1, current, out);
    }
    current.remove(dims.get(d).getKey());
  }

  private static boolean keepsOriginals(Map<String, Object> entry, Map<String, Object> combination,
      Map<String, List<Object>> matrix) {
    for (Map.Entry<String, Object> e : entry.entrySet()) {
      if (matrix.containsKey(e.getKey()) && !same(e.getValue(), combination.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Whether every key of {@code pattern} is in {@code value} with a matching value. */
  static boolean partialMatch(Object pattern, Object value) {
    if (pattern instanceof Map<?, ?> p && value instanceof Map<?, ?> v) {
      for (Map.Entry<?, ?> e : p.entrySet()) {
        if (!v.containsKey(e.getKey()) || !partialMatch(e.getValue(), v.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    return same(pattern, value);
  }

  /** Deep equality; numbers compare by value whatever their class. */
  static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (!x.keySet().equals(y.keySet())) {
        return false;
      }
      return x.entrySet().stream().allMatch(e -> same(e.getValue(), y.get(e.getKey())));
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!same(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a == null ? b == null : a.equals(b);
  }
}
