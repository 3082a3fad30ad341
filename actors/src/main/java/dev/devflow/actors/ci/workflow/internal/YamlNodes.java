package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.WorkflowException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads one workflow file as a SnakeYAML Engine node tree (YAML 1.2 core schema, so {@code on} is
 * a string) and turns nodes into Java values, failing with a {@link WorkflowException} that points
 * at the node: every key and value keeps its line and column. Duplicate keys are errors, as in
 * GitHub. One instance per file; not thread-safe.
 */
public final class YamlNodes {

  /** One key of a mapping, with the nodes of the key and of its value. */
  public record Entry(String key, Node keyNode, Node value) {}

  private final String file;
  private String[] lines = new String[0];

  public YamlNodes(String file) {
    this.file = file;
  }

  public String file() {
    return file;
  }

  /** The document's root node, or null for an empty document. */
  public Node compose(String yaml) throws WorkflowException {
    LoadSettings settings = LoadSettings.builder().setLabel(file).setSchema(new CoreSchema())
        .setUseMarks(true).build();
    lines = yaml.split("\r?\n", -1);
    try {
      return new Compose(settings).composeString(yaml).orElse(null);
    } catch (MarkedYamlEngineException e) {
      Mark mark = e.getProblemMark().or(e::getContextMark).orElse(null);
      String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
      String context = e.getContext() == null || e.getContext().isBlank() ? "" : e.getContext() + ": ";
      throw new WorkflowException(file, mark == null ? 1 : mark.getLine() + 1,
          mark == null ? 1 : mark.getColumn() + 1, "invalid YAML: " + context + problem);
    } catch (YamlEngineException e) {
      throw new WorkflowException(file, 1, 1, "invalid YAML: " + e.getMessage());
    }
  }

  public static int line(Node node) {
    return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
  }

  public static int column(Node node) {
    return node.getStartMark().map(m -> m.getColumn() + 1).orElse(0);
  }

  public WorkflowException error(Node node, String message) {
    return new WorkflowException(file, line(node), column(node), message);
  }

  /**
   * An error at the 1-based {@code position} inside a scalar's value: exact for single-line plain
   * and quoted scalars without escapes and for literal ({@code |}) blocks, else the scalar's start.
   */
  public WorkflowException errorAt(Node node, int position, String message) {
    if (position <= 0 || !(node instanceof ScalarNode s)) {
      return error(node, message);
    }
    String v = s.getValue();
    int line = line(node);
    int column = column(node);
    String source = line >= 1 && line <= lines.length ? lines[line - 1] : "";
    switch (s.getScalarStyle()) {
      case PLAIN:
        if (source.startsWith(v, column - 1)) {
          return new WorkflowException(file, line, column - 1 + position, message);
        }
        break;
      case SINGLE_QUOTED:
      case DOUBLE_QUOTED:
        if (source.startsWith(v, column) && source.length() > column + v.length()
            && source.charAt(column + v.length()) == source.charAt(column - 1)) {
          return new WorkflowException(file, line, column + position, message);
        }
        break;
      case LITERAL: {
        int before = v.lastIndexOf('\n', position - 2);
        int lineIndex = (int) v.substring(0, position - 1).chars().filter(ch -> ch == '\n').count();
        int end = v.indexOf('\n', before + 1);
        String valueLine = v.substring(before + 1, end < 0 ? v.length() : end);
        int sourceLine = line + 1 + lineIndex;
        if (sourceLine <= lines.length && lines[sourceLine - 1].endsWith(valueLine)) {
          int indent = lines[sourceLine - 1].length() - valueLine.length();
          return new WorkflowException(file, sourceLine, indent + (position - 1 - before), message);
        }
        break;
      }
      default:
        break;
    }
    return error(node, message);
  }

  /** "file:line:column: message", the form of a notice. */
  public String notice(Node node, String message) {
    return file + ":" + line(node) + ":" + column(node) + ": " + message;
  }

  public static boolean isNull(Node node) {
    return node == null || (node instanceof ScalarNode && Tag.NULL.equals(node.getTag()));
  }

  public static boolean isScalar(Node node) {
    return node instanceof ScalarNode;
  }

  /** The keys of a mapping in file order; {@code what} names the mapping in the error. */
  public List<Entry> entries(Node node, String what) throws WorkflowException {
    if (!(node instanceof MappingNode mapping)) {
      throw error(node, what + " must be a mapping, not " + describe(node));
    }
    List<Entry> out = new ArrayList<>();
    Map<String, Node> seen = new HashMap<>();
    for (var tuple : mapping.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode scalar)) {
        throw error(keyNode, "a key in " + what + " must be a scalar");
      }
      String key = scalar.getValue();
      if (seen.putIfAbsent(key, keyNode) != null) {
        throw error(keyNode, "duplicate key '" + key + "' in " + what + " (first at line " + line(seen.get(key)) + ")");
      }
      out.add(new Entry(key, keyNode, tuple.getValueNode()));
    }
    return out;
  }

  public List<Node> sequence(Node node, String what) throws WorkflowException {
    if (!(node instanceof SequenceNode seq)) {
      throw error(node, what + " must be a list, not " + describe(node));
    }
    return seq.getValue();
  }

  /** A scalar's YAML text (numbers and booleans as written; null as ""). */
  public String text(Node node, String what) throws WorkflowException {
    if (!(node instanceof ScalarNode scalar)) {
      throw error(node, what + " must be a scalar, not " + describe(node));
    }
    return Tag.NULL.equals(scalar.getTag()) ? "" : scalar.getValue();
  }

  /** A single string, or a list of them. */
  public List<String> strings(Node node, String what) throws WorkflowException {
    if (node instanceof ScalarNode) {
      return isNull(node) ? List.of() : List.of(text(node, what));
    }
    List<String> out = new ArrayList<>();
    for (Node item : sequence(node, what)) {
      out.add(text(item, "an item of " + what));
    }
    return List.copyOf(out);
  }

  /** A mapping of scalar values, kept as their YAML text ({@code env}, {@code outputs}). */
  public Map<String, String> stringMap(Node node, String what) throws WorkflowException {
    Map<String, String> out = new LinkedHashMap<>();
    if (isNull(node)) {
      return out;
    }
    for (Entry e : entries(node, what)) {
      out.put(e.key(), text(e.value(), what + "." + e.key()));
    }
    return out;
  }

  /** A boolean scalar ({@code true}/{@code false} in any YAML 1.2 casing), or null if not one. */
  public static Boolean bool(Node node) {
    if (node instanceof ScalarNode s && Tag.BOOL.equals(s.getTag())) {
      return Boolean.parseBoolean(s.getValue().toLowerCase(Locale.ROOT));
    }
    return null;
  }

  /** A numeric scalar, or null if not one. */
  public static Double number(Node node) {
    if (node instanceof ScalarNode s && (Tag.INT.equals(s.getTag()) || Tag.FLOAT.equals(s.getTag()))) {
      return (Double) value(node);
    }
    return null;
  }

  /** The JSON-like value of a node: Map, List, String, Double, Boolean or null. */
  public static Object value(Node node) {
    if (node instanceof MappingNode mapping) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (var tuple : mapping.getValue()) {
        Object key = value(tuple.getKeyNode());
        out.put(key instanceof String s ? s : Values.toString(key), value(tuple.getValueNode()));
      }
      return out;
    }
    if (node instanceof SequenceNode seq) {
      List<Object> out = new ArrayList<>();
      seq.getValue().forEach(n -> out.add(value(n)));
      return out;
    }
    ScalarNode s = (ScalarNode) node;
    String v = s.getValue();
    Tag tag = s.getTag();
    if (Tag.NULL.equals(tag)) {
      return null;
    }
    if (Tag.BOOL.equals(tag)) {
      return Boolean.parseBoolean(v.toLowerCase(Locale.ROOT));
    }
    if (Tag.INT.equals(tag)) {
      String digits = v.replace("_", "");
      boolean negative = digits.startsWith("-");
      String unsigned = digits.startsWith("-") || digits.startsWith("+") ? digits.substring(1) : digits;
      int radix = unsigned.startsWith("0x") ? 16 : unsigned.startsWith("0o") ? 8 : 10;
      double d = new BigInteger(radix == 10 ? unsigned : unsigned.substring(2), radix).doubleValue();
      return negative ? -d : d;
    }
    if (Tag.FLOAT.equals(tag)) {
      String lower = v.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".inf")) {
        return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      return lower.equals(".nan") ? Double.NaN : Double.parseDouble(v);
    }
    return v;
  }

  public static String describe(Node node) {
    if (node == null || isNull(node)) {
      return "null";
    }
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return "'" + ((ScalarNode) node).getValue() + "'";
  }
}
