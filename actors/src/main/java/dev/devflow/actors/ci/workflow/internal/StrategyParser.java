package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.Strategy;
import dev.devflow.actors.ci.workflow.WorkflowException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads a job's {@code strategy}: the matrix (keys to non-empty lists, {@code include},
 * {@code exclude}), {@code fail-fast} and {@code max-parallel}, and expands the matrix once so that
 * more than 256 combinations fails at parse time with the job's position. A matrix, a matrix key or
 * an include/exclude list given as an expression is not supported (DevFlow expands matrices before
 * any context exists). One instance per file; not thread-safe.
 */
final class StrategyParser {

  private final YamlNodes yaml;
  private final List<String> notices;

  StrategyParser(YamlNodes yaml, List<String> notices) {
    this.yaml = yaml;
    this.notices = notices;
  }

  Strategy parse(Node node, Node jobKey, String where) throws WorkflowException {
    Map<String, List<Object>> matrix = new LinkedHashMap<>();
    List<Map<String, Object>> include = List.of();
    List<Map<String, Object>> exclude = List.of();
    Node excludeNode = null;
    boolean failFast = true;
    Integer maxParallel = null;
    for (YamlNodes.Entry e : yaml.entries(node, where + " strategy")) {
      Node v = e.value();
      switch (e.key()) {
        case "matrix" -> {
          rejectExpression(v, where + " matrix");
          for (YamlNodes.Entry m : yaml.entries(v, where + " matrix")) {
            rejectExpression(m.value(), where + " matrix " + m.key());
            switch (m.key()) {
              case "include" -> include = entries(m.value(), where + " matrix include");
              case "exclude" -> {
                exclude = entries(m.value(), where + " matrix exclude");
                excludeNode = m.value();
              }
              default -> matrix.put(m.key(), vector(m, where));
            }
          }
        }
        case "fail-fast" -> failFast = flag(v, where + " strategy fail-fast", true);
        case "max-parallel" -> maxParallel = maxParallel(v, where);
        default -> notices.add(yaml.notice(e.keyNode(), "unknown key '" + e.key() + "' in " + where
            + " strategy is ignored"));
      }
    }
    if (excludeNode != null) {
      List<Node> items = yaml.sequence(excludeNode, where + " matrix exclude");
      for (int i = 0; i < exclude.size(); i++) {
        for (String key : exclude.get(i).keySet()) {
          if (!matrix.containsKey(key)) {
            notices.add(yaml.notice(items.get(i), where + " matrix exclude key '" + key
                + "' is not a matrix key; the entry excludes nothing"));
          }
        }
      }
    }
    Strategy strategy = new Strategy(matrix, include, exclude, failFast, maxParallel);
    try {
      strategy.combinations();
    } catch (WorkflowException e) {
      throw yaml.error(jobKey, where + ": " + e.reason());
    }
    return strategy;
  }

  private void rejectExpression(Node v, String what) throws WorkflowException {
    if (YamlNodes.isScalar(v) && !YamlNodes.isNull(v) && yaml.text(v, what).contains("${{")) {
      throw yaml.error(v, what + ": matrix from an expression is not supported");
    }
  }

  private List<Object> vector(YamlNodes.Entry m, String where) throws WorkflowException {
    List<Object> values = new ArrayList<>();
    for (Node item : yaml.sequence(m.value(), where + " matrix " + m.key())) {
      values.add(YamlNodes.value(item));
    }
    if (values.isEmpty()) {
      throw yaml.error(m.value(), where + " matrix vector '" + m.key() + "' does not contain any values");
    }
    return values;
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> entries(Node v, String what) throws WorkflowException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Node item : yaml.sequence(v, what)) {
      yaml.entries(item, "an entry of " + what);
      out.add((Map<String, Object>) YamlNodes.value(item));
    }
    return out;
  }

  private boolean flag(Node v, String what, boolean fallback) throws WorkflowException {
    Boolean b = YamlNodes.bool(v);
    if (b != null) {
      return b;
    }
    String text = yaml.text(v, what);
    if (!text.contains("${{")) {
      throw yaml.error(v, what + " must be a boolean, not '" + text + "'");
    }
    notices.add(yaml.notice(v, what + " from an expression is not supported by DevFlow; using " + fallback));
    return fallback;
  }

  private Integer maxParallel(Node v, String where) throws WorkflowException {
    Double n = YamlNodes.number(v);
    if (n != null) {
      if (n < 1 || n != Math.floor(n)) {
        throw yaml.error(v, where + " strategy max-parallel must be a positive whole number");
      }
      return n.intValue();
    }
    String text = yaml.text(v, where + " strategy max-parallel");
    if (!text.contains("${{")) {
      throw yaml.error(v, where + " strategy max-parallel must be a number, not '" + text + "'");
    }
    notices.add(yaml.notice(v, where + " strategy max-parallel from an expression is not supported by DevFlow;"
        + " no limit is applied"));
    return null;
  }
}
