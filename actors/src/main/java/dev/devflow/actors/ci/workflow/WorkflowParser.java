package dev.devflow.actors.ci.workflow;

import dev.devflow.actors.ci.workflow.internal.JobParser;
import dev.devflow.actors.ci.workflow.internal.TriggerParser;
import dev.devflow.actors.ci.workflow.internal.YamlNodes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Parses a GitHub Actions workflow file into a {@link Workflow}, or fails with a
 * {@link WorkflowException} at the offending line and column: invalid YAML, a top level that is not
 * a mapping, no jobs, a job without {@code runs-on} or {@code steps}, {@code needs} naming a missing
 * job or forming a cycle, a step without exactly one of {@code run}/{@code uses}, values of the
 * wrong type, and expressions that do not parse. What DevFlow ignores (unknown keys, triggers other
 * than {@code push} and {@code workflow_dispatch}, keys such as {@code permissions}) becomes a
 * notice. Pure: no I/O, stateless, thread-safe.
 */
public final class WorkflowParser {

  private static final Set<String> IGNORED_KEYS = Set.of("run-name", "permissions", "concurrency");

  private WorkflowParser() {}

  public static Workflow parse(String file, String yaml) throws WorkflowException {
    YamlNodes nodes = new YamlNodes(file);
    Node root = nodes.compose(yaml);
    if (root == null) {
      throw new WorkflowException(file, 1, 1, "the workflow is empty");
    }
    if (!(root instanceof MappingNode)) {
      throw nodes.error(root, "the top level of a workflow must be a mapping, not " + YamlNodes.describe(root));
    }
    List<String> notices = new ArrayList<>();
    JobParser jobParser = new JobParser(nodes, notices);
    String name = file;
    TriggerParser.Triggers triggers = null;
    Map<String, String> env = Map.of();
    Defaults defaults = Defaults.NONE;
    YamlNodes.Entry jobsEntry = null;
    for (YamlNodes.Entry e : nodes.entries(root, "the workflow")) {
      switch (e.key()) {
        case "name" -> name = nodes.text(e.value(), "name");
        case "on" -> triggers = new TriggerParser(nodes, notices).parse(e.value());
        case "env" -> env = jobParser.templates(e.value(), "env");
        case "defaults" -> defaults = jobParser.defaults(e.value(), "the workflow");
        case "jobs" -> jobsEntry = e;
        default -> notices.add(nodes.notice(e.keyNode(), IGNORED_KEYS.contains(e.key())
            ? "key '" + e.key() + "' is not supported by DevFlow and is ignored"
            : "unknown key '" + e.key() + "' is ignored"));
      }
    }
    if (triggers == null) {
      notices.add(nodes.notice(root, "the workflow has no 'on' triggers and never runs"));
      triggers = new TriggerParser.Triggers(null, false);
    }
    if (jobsEntry == null) {
      throw nodes.error(root, "the workflow has no 'jobs'");
    }
    Map<String, JobSpec> jobs = jobs(nodes, jobParser, jobsEntry);
    return new Workflow(file, name, triggers.push(), triggers.dispatch(), env, defaults, jobs, notices);
  }

  private static Map<String, JobSpec> jobs(YamlNodes nodes, JobParser jobParser, YamlNodes.Entry jobsEntry)
      throws WorkflowException {
    if (YamlNodes.isNull(jobsEntry.value())) {
      throw nodes.error(jobsEntry.keyNode(), "the workflow has no jobs");
    }
    List<YamlNodes.Entry> entries = nodes.entries(jobsEntry.value(), "jobs");
    if (entries.isEmpty()) {
      throw nodes.error(jobsEntry.keyNode(), "the workflow has no jobs");
    }
    Map<String, JobParser.Parsed> parsed = new LinkedHashMap<>();
    for (YamlNodes.Entry e : entries) {
      parsed.put(e.key(), jobParser.parse(e));
    }
    for (JobParser.Parsed job : parsed.values()) {
      for (Map.Entry<String, Node> need : job.needNodes().entrySet()) {
        if (!parsed.containsKey(need.getKey())) {
          throw nodes.error(need.getValue(), "job '" + job.spec().id() + "' needs '" + need.getKey()
              + "', which is not a job of this workflow");
        }
      }
    }
    checkCycles(nodes, parsed);
    Map<String, JobSpec> jobs = new LinkedHashMap<>();
    parsed.forEach((id, job) -> jobs.put(id, job.spec()));
    return jobs;
  }

  /** Depth-first search in file order; the first back edge found is reported with its cycle. */
  private static void checkCycles(YamlNodes nodes, Map<String, JobParser.Parsed> jobs) throws WorkflowException {
    Map<String, Integer> state = new HashMap<>();
    for (String id : jobs.keySet()) {
      visit(nodes, jobs, id, state, new ArrayList<>());
    }
  }

  private static void visit(YamlNodes nodes, Map<String, JobParser.Parsed> jobs, String id,
      Map<String, Integer> state, List<String> path) throws WorkflowException {
    Integer s = state.get(id);
    if (s != null && s == 2) {
      return;
    }
    state.put(id, 1);
    path.add(id);
    for (Map.Entry<String, Node> need : jobs.get(id).needNodes().entrySet()) {
      String next = need.getKey();
      if (state.get(next) != null && state.get(next) == 1) {
        List<String> cycle = new ArrayList<>(path.subList(path.indexOf(next), path.size()));
        cycle.add(next);
        throw nodes.error(need.getValue(), "the needs of jobs form a cycle: " + String.join(" -> ", cycle));
      }
      visit(nodes, jobs, next, state, path);
    }
    path.remove(path.size() - 1);
    state.put(id, 2);
  }
}
