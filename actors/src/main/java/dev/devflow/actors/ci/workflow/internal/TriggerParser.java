package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.PushTrigger;
import dev.devflow.actors.ci.workflow.WorkflowException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads a workflow's {@code on}: a single event, a list of events or a mapping of events to their
 * settings. DevFlow runs {@code push} (with its branch, tag and path filters) and
 * {@code workflow_dispatch}; every other event is accepted and reported as a notice. As in GitHub, a
 * filter and its {@code -ignore} twin cannot both be set, and a filter cannot hold only negated
 * patterns. One instance per file; not thread-safe.
 */
public final class TriggerParser {

  /** What the workflow reacts to: the push trigger (null: none) and manual dispatch. */
  public record Triggers(PushTrigger push, boolean dispatch) {}

  private static final List<String> FILTERS = List.of("branches", "branches-ignore", "tags", "tags-ignore",
      "paths", "paths-ignore");

  private final YamlNodes yaml;
  private final List<String> notices;

  public TriggerParser(YamlNodes yaml, List<String> notices) {
    this.yaml = yaml;
    this.notices = notices;
  }

  public Triggers parse(Node on) throws WorkflowException {
    PushTrigger push = null;
    boolean dispatch = false;
    if (YamlNodes.isScalar(on) || on instanceof SequenceNode) {
      List<Node> events = on instanceof SequenceNode ? yaml.sequence(on, "on") : List.of(on);
      for (Node event : events) {
        String name = yaml.text(event, "an event of 'on'");
        if (name.equals("push")) {
          push = PushTrigger.ANY;
        } else if (name.equals("workflow_dispatch")) {
          dispatch = true;
        } else {
          unsupported(event, name);
        }
      }
      return new Triggers(push, dispatch);
    }
    for (YamlNodes.Entry e : yaml.entries(on, "on")) {
      switch (e.key()) {
        case "push" -> push = push(e.value());
        case "workflow_dispatch" -> {
          if (!YamlNodes.isNull(e.value())) {
            yaml.entries(e.value(), "on.workflow_dispatch");
          }
          dispatch = true;
        }
        default -> unsupported(e.keyNode(), e.key());
      }
    }
    return new Triggers(push, dispatch);
  }

  private void unsupported(Node node, String event) {
    notices.add(yaml.notice(node, "trigger '" + event + "' is not supported by DevFlow and is ignored"));
  }

  private PushTrigger push(Node node) throws WorkflowException {
    if (YamlNodes.isNull(node)) {
      return PushTrigger.ANY;
    }
    Map<String, List<String>> filters = new HashMap<>();
    Map<String, Node> keys = new HashMap<>();
    for (YamlNodes.Entry e : yaml.entries(node, "on.push")) {
      if (!FILTERS.contains(e.key())) {
        notices.add(yaml.notice(e.keyNode(), "unknown key '" + e.key() + "' in on.push is ignored"));
        continue;
      }
      String base = e.key().replace("-ignore", "");
      String twin = e.key().endsWith("-ignore") ? base : base + "-ignore";
      if (keys.containsKey(twin)) {
        throw yaml.error(e.keyNode(), "on.push cannot use both '" + base + "' and '" + base + "-ignore'");
      }
      List<String> patterns = yaml.strings(e.value(), "on.push." + e.key());
      if (patterns.isEmpty()) {
        notices.add(yaml.notice(e.value(), "on.push." + e.key() + " is empty and filters nothing"));
      }
      if (GlobFilter.onlyNegative(patterns)) {
        throw yaml.error(e.value(), "on.push." + e.key()
            + " has only negated ('!') patterns; it needs at least one pattern without '!'");
      }
      filters.put(e.key(), patterns);
      keys.put(e.key(), e.keyNode());
    }
    return new PushTrigger(filters.get("branches"), filters.get("branches-ignore"), filters.get("tags"),
        filters.get("tags-ignore"), filters.get("paths"), filters.get("paths-ignore"));
  }
}
