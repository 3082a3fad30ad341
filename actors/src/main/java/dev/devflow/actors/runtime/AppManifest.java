package dev.devflow.actors.runtime;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * An app's optional {@code devflow.yml}:
 *
 * <pre>
 * build:                 # a list of shell commands, or one string; run in order before release
 *   - pip install -r requirements.txt
 * health:
 *   path: /healthz       # polled on $PORT until a status below 500; default "/"
 *   timeoutSeconds: 60   # 1..3600; default 30
 * env:                   # plain settings (secrets come from the tenant's secrets, not from here)
 *   LOG_LEVEL: debug
 * </pre>
 *
 * Every key is optional; an unknown key, a duplicate key or a value of the wrong shape is a
 * {@link ManifestException} naming the line. {@code env} may not set {@code PORT}: the runtime does.
 *
 * <p>Immutable; {@link #parse} is thread-safe.
 */
public record AppManifest(List<String> build, String healthPath, int healthTimeoutSeconds, Map<String, String> env) {

  public static final String FILE = "devflow.yml";
  public static final int DEFAULT_HEALTH_TIMEOUT_SECONDS = 30;
  public static final int MAX_HEALTH_TIMEOUT_SECONDS = 3600;

  /** No build, health path "/", 30 s, no env: what an app without devflow.yml gets. */
  public static final AppManifest DEFAULT = new AppManifest(List.of(), "/", DEFAULT_HEALTH_TIMEOUT_SECONDS, Map.of());

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public AppManifest {
    build = List.copyOf(build);
    env = Map.copyOf(env);
  }

  /** Parses the text of devflow.yml; null, blank or an empty document give {@link #DEFAULT}. */
  public static AppManifest parse(String yamlText) throws ManifestException {
    if (yamlText == null || yamlText.isBlank()) {
      return DEFAULT;
    }
    Node root = compose(yamlText);
    if (root == null || isNull(root)) {
      return DEFAULT;
    }
    List<String> build = List.of();
    String healthPath = DEFAULT.healthPath();
    int timeout = DEFAULT.healthTimeoutSeconds();
    Map<String, String> env = new LinkedHashMap<>();
    for (NodeTuple t : entries(root, "the file")) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      Node value = t.getValueNode();
      switch (key) {
        case "build" -> build = strings(value, "build");
        case "health" -> {
          if (isNull(value)) {
            break;
          }
          for (NodeTuple h : entries(value, "health")) {
            String hk = ((ScalarNode) h.getKeyNode()).getValue();
            Node hv = h.getValueNode();
            switch (hk) {
              case "path" -> {
                healthPath = scalar(hv, "health.path");
                if (!healthPath.startsWith("/") || healthPath.chars().anyMatch(c -> c <= ' ')) {
                  throw error(hv, "health.path must start with '/' and contain no blanks, not '" + healthPath + "'");
                }
              }
              case "timeoutSeconds" -> timeout = seconds(hv);
              default -> throw error(h.getKeyNode(), "unknown key 'health." + hk + "' (known: path, timeoutSeconds)");
            }
          }
        }
        case "env" -> {
          if (isNull(value)) {
            break;
          }
          for (NodeTuple e : entries(value, "env")) {
            String name = ((ScalarNode) e.getKeyNode()).getValue();
            if (!ENV_NAME.matcher(name).matches()) {
              throw error(e.getKeyNode(), "env name '" + name + "' must match [A-Za-z_][A-Za-z0-9_]*");
            }
            if (name.equals("PORT")) {
              throw error(e.getKeyNode(), "env may not set PORT: the runtime sets it to the port the app must listen on");
            }
            env.put(name, scalar(e.getValueNode(), "env." + name));
          }
        }
        default -> throw error(t.getKeyNode(), "unknown key '" + key + "' (known: build, health, env)");
      }
    }
    return new AppManifest(build, healthPath, timeout, env);
  }

  private static Node compose(String yaml) throws ManifestException {
    LoadSettings settings = LoadSettings.builder().setLabel(FILE).setSchema(new CoreSchema()).setUseMarks(true).build();
    try {
      return new Compose(settings).composeString(yaml).orElse(null);
    } catch (MarkedYamlEngineException e) {
      Mark mark = e.getProblemMark().or(e::getContextMark).orElse(null);
      String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
      String context = e.getContext() == null || e.getContext().isBlank() ? "" : e.getContext() + ": ";
      throw new ManifestException(FILE, mark == null ? 1 : mark.getLine() + 1, "invalid YAML: " + context + problem);
    } catch (YamlEngineException e) {
      throw new ManifestException(FILE, 1, "invalid YAML: " + e.getMessage());
    }
  }

  private static List<NodeTuple> entries(Node node, String what) throws ManifestException {
    if (!(node instanceof MappingNode mapping)) {
      throw error(node, what + " must be a mapping, not " + describe(node));
    }
    Set<String> seen = new HashSet<>();
    for (NodeTuple t : mapping.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode key)) {
        throw error(t.getKeyNode(), "a key in " + what + " must be a string");
      }
      if (!seen.add(key.getValue())) {
        throw error(key, "duplicate key '" + key.getValue() + "' in " + what);
      }
    }
    return mapping.getValue();
  }

  private static List<String> strings(Node node, String what) throws ManifestException {
    if (isNull(node)) {
      return List.of();
    }
    if (node instanceof ScalarNode) {
      return List.of(nonBlank(node, what));
    }
    if (!(node instanceof SequenceNode seq)) {
      throw error(node, what + " must be a list of commands or one command, not " + describe(node));
    }
    List<String> out = new ArrayList<>();
    for (Node item : seq.getValue()) {
      if (!(item instanceof ScalarNode)) {
        throw error(item, "each item of " + what + " must be a command (a string), not " + describe(item));
      }
      out.add(nonBlank(item, "an item of " + what));
    }
    return out;
  }

  private static String nonBlank(Node node, String what) throws ManifestException {
    String s = scalar(node, what);
    if (s.isBlank()) {
      throw error(node, what + " is empty");
    }
    return s;
  }

  /** A scalar as written (numbers and booleans as their text; null as ""). */
  private static String scalar(Node node, String what) throws ManifestException {
    if (!(node instanceof ScalarNode s)) {
      throw error(node, what + " must be a single value, not " + describe(node));
    }
    return Tag.NULL.equals(s.getTag()) ? "" : s.getValue();
  }

  private static int seconds(Node node) throws ManifestException {
    String text = scalar(node, "health.timeoutSeconds");
    int value;
    try {
      value = node.getTag().equals(Tag.INT) ? Integer.parseInt(text) : -1;
    } catch (NumberFormatException e) {
      value = -1;
    }
    if (value < 1 || value > MAX_HEALTH_TIMEOUT_SECONDS) {
      throw error(node, "health.timeoutSeconds must be a whole number of seconds from 1 to "
          + MAX_HEALTH_TIMEOUT_SECONDS + ", not '" + text + "'");
    }
    return value;
  }

  private static boolean isNull(Node node) {
    return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
  }

  private static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return isNull(node) ? "nothing" : "'" + ((ScalarNode) node).getValue() + "'";
  }

  private static ManifestException error(Node node, String message) {
    int line = node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    return new ManifestException(FILE, line, message);
  }
}
