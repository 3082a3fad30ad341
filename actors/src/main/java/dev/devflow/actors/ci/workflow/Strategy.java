package dev.devflow.actors.ci.workflow;

import dev.devflow.actors.ci.workflow.internal.MatrixExpander;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code strategy} of a job: matrix keys (in file order) to their values, the {@code include} and
 * {@code exclude} entries, {@code fail-fast} (default true) and {@code max-parallel} (null: no
 * limit). Values are JSON-like: String, Double, Boolean, null, Map, List.
 */
public record Strategy(Map<String, List<Object>> matrix, List<Map<String, Object>> include,
    List<Map<String, Object>> exclude, boolean failFast, Integer maxParallel) {

  public Strategy {
    Map<String, List<Object>> m = new LinkedHashMap<>();
    if (matrix != null) {
      matrix.forEach((k, v) -> m.put(k, Collections.unmodifiableList(new ArrayList<>(v))));
    }
    matrix = Collections.unmodifiableMap(m);
    include = copy(include);
    exclude = copy(exclude);
  }

  private static List<Map<String, Object>> copy(List<Map<String, Object>> entries) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (entries != null) {
      entries.forEach(e -> out.add(Collections.unmodifiableMap(new LinkedHashMap<>(e))));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * All combinations in order, with GitHub's semantics for include and exclude (see
   * {@link MatrixExpander}); more than 256 → WorkflowException (null file: the parser adds the
   * job's position when it checks the same at parse time).
   */
  public List<Map<String, Object>> combinations() throws WorkflowException {
    return MatrixExpander.expand(matrix, include, exclude);
  }
}
