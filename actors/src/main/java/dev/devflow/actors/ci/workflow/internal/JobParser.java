package dev.devflow.actors.ci.workflow.internal;

import dev.devflow.actors.ci.workflow.Defaults;
import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.Expressions;
import dev.devflow.actors.ci.workflow.JobSpec;
import dev.devflow.actors.ci.workflow.StepSpec;
import dev.devflow.actors.ci.workflow.Strategy;
import dev.devflow.actors.ci.workflow.WorkflowException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads one job of a workflow (its keys, defaults and steps; the strategy is read by
 * {@link StrategyParser}) and checks the syntax of every expression in it, so errors carry the
 * file, line and column. Warnings go to the shared notice list. One instance per file; not
 * thread-safe.
 */
public final class JobParser {

  /** A parsed job with the nodes of its {@code needs} entries, for the workflow-level checks. */
  public record Parsed(JobSpec spec, Map<String, Node> needNodes) {}

  public static final Pattern ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

  private static final Set<String> IGNORED_JOB_KEYS = Set.of("permissions", "concurrency", "environment",
      "container", "services");
  private static final Set<String> REUSABLE_KEYS = Set.of("uses", "with", "secrets");

  private final YamlNodes yaml;
  private final List<String> notices;

  public JobParser(YamlNodes yaml, List<String> notices) {
    this.yaml = yaml;
    this.notices = notices;
  }

  public Parsed parse(YamlNodes.Entry job) throws WorkflowException {
    String id = job.key();
    String where = "job '" + id + "'";
    if (!ID.matcher(id).matches()) {
      throw yaml.error(job.keyNode(), "invalid job id '" + id
          + "': it must start with a letter or '_' and contain only letters, digits, '-' and '_'");
    }
    List<YamlNodes.Entry> entries = yaml.entries(job.value(), where);
    for (YamlNodes.Entry e : entries) {
      if (REUSABLE_KEYS.contains(e.key())) {
        throw yaml.error(e.keyNode(), where + " calls a reusable workflow ('" + e.key()
            + "'), which DevFlow does not support");
      }
    }
    String name = null;
    List<String> runsOn = null;
    List<String> needs = List.of();
    Map<String, Node> needNodes = new LinkedHashMap<>();
    String ifExpr = null;
    double timeout = JobSpec.DEFAULT_TIMEOUT_MINUTES;
    String continueOnError = null;
    Map<String, String> outputs = Map.of();
    Strategy strategy = null;
    Map<String, String> env = Map.of();
    Defaults defaults = Defaults.NONE;
    List<StepSpec> steps = null;
    for (YamlNodes.Entry e : entries) {
      Node v = e.value();
      switch (e.key()) {
        case "name" -> name = template(v, where + " name");
        case "runs-on" -> runsOn = runsOn(v, where);
        case "needs" -> {
          needs = yaml.strings(v, where + " needs");
          List<Node> items = YamlNodes.isScalar(v) ? List.of(v) : yaml.sequence(v, where + " needs");
          for (int i = 0; i < needs.size(); i++) {
            needNodes.putIfAbsent(needs.get(i), items.get(i));
          }
        }
        case "if" -> ifExpr = condition(v, where + " if");
        case "timeout-minutes" -> timeout = timeout(v, where, (double) JobSpec.DEFAULT_TIMEOUT_MINUTES);
        case "continue-on-error" -> continueOnError = continueOnError(v, where);
        case "outputs" -> outputs = templates(v, where + " outputs");
        case "strategy" -> strategy = new StrategyParser(yaml, notices).parse(v, job.keyNode(), where);
        case "env" -> env = templates(v, where + " env");
        case "defaults" -> defaults = defaults(v, where);
        case "steps" -> steps = steps(v, where);
        default -> notices.add(yaml.notice(e.keyNode(), IGNORED_JOB_KEYS.contains(e.key())
            ? "key '" + e.key() + "' of " + where + " is not supported by DevFlow and is ignored"
            : "unknown key '" + e.key() + "' in " + where + " is ignored"));
      }
    }
    if (runsOn == null) {
      throw yaml.error(job.keyNode(), where + " has no 'runs-on'");
    }
    if (steps == null) {
      throw yaml.error(job.keyNode(), where + " has no 'steps'");
    }
    JobSpec spec = new JobSpec(id, name, runsOn, needs, ifExpr, timeout, continueOnError, outputs, strategy,
        env, defaults, steps, YamlNodes.line(job.keyNode()));
    return new Parsed(spec, needNodes);
  }

  private List<String> runsOn(Node v, String where) throws WorkflowException {
    Node labels = v;
    if (!YamlNodes.isScalar(v) && !(v instanceof SequenceNode)) {
      labels = null;
      for (YamlNodes.Entry e : yaml.entries(v, where + " runs-on")) {
        if (e.key().equals("labels")) {
          labels = e.value();
        } else {
          notices.add(yaml.notice(e.keyNode(), "key '" + e.key() + "' of " + where
              + " runs-on is not supported by DevFlow and is ignored"));
        }
      }
      if (labels == null) {
        throw yaml.error(v, where + " runs-on has no 'labels'");
      }
    }
    List<String> out = yaml.strings(labels, where + " runs-on");
    if (out.isEmpty() || out.stream().anyMatch(String::isBlank)) {
      throw yaml.error(labels, where + " runs-on must name at least one runner label");
    }
    List<Node> items = YamlNodes.isScalar(labels) ? List.of(labels) : yaml.sequence(labels, where);
    for (Node item : items) {
      template(item, where + " runs-on");
    }
    return out;
  }

  private List<StepSpec> steps(Node v, String where) throws WorkflowException {
    List<Node> items = yaml.sequence(v, where + " steps");
    if (items.isEmpty()) {
      throw yaml.error(v, where + " has no steps");
    }
    List<StepSpec> steps = new ArrayList<>();
    Map<String, Node> ids = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      StepSpec step = step(items.get(i), where + " step " + (i + 1));
      if (step.id() != null && ids.putIfAbsent(step.id(), items.get(i)) != null) {
        throw yaml.error(items.get(i), where + " has two steps with id '" + step.id() + "'");
      }
      steps.add(step);
    }
    return steps;
  }

  private StepSpec step(Node node, String where) throws WorkflowException {
    String id = null;
    String name = null;
    String run = null;
    String uses = null;
    String shell = null;
    Map<String, String> env = Map.of();
    String workingDirectory = null;
    String ifExpr = null;
    String continueOnError = null;
    Double timeout = null;
    for (YamlNodes.Entry e : yaml.entries(node, where)) {
      Node v = e.value();
      switch (e.key()) {
        case "id" -> {
          id = yaml.text(v, where + " id");
          if (!ID.matcher(id).matches()) {
            throw yaml.error(v, "invalid step id '" + id
                + "': it must start with a letter or '_' and contain only letters, digits, '-' and '_'");
          }
        }
        case "name" -> name = template(v, where + " name");
        case "run" -> run = template(v, where + " run");
        case "uses" -> uses = yaml.text(v, where + " uses");
        case "shell" -> shell = template(v, where + " shell");
        case "env" -> env = templates(v, where + " env");
        case "working-directory" -> workingDirectory = template(v, where + " working-directory");
        case "if" -> ifExpr = condition(v, where + " if");
        case "continue-on-error" -> continueOnError = continueOnError(v, where);
        case "timeout-minutes" -> timeout = timeout(v, where, null);
        case "with" -> templates(v, where + " with");
        default -> notices.add(yaml.notice(e.keyNode(), "unknown key '" + e.key() + "' in " + where + " is ignored"));
      }
    }
    if ((run == null) == (uses == null)) {
      throw yaml.error(node, where + (run == null ? " has neither 'run' nor 'uses'" : " has both 'run' and 'uses'"));
    }
    if (uses != null && uses.isBlank()) {
      throw yaml.error(node, where + " has an empty 'uses'");
    }
    return new StepSpec(id, name, run, uses, shell, env, workingDirectory, ifExpr, continueOnError, timeout,
        YamlNodes.line(node));
  }

  /** {@code defaults.run} of a job or (with {@code where} "the workflow") of the workflow. */
  public Defaults defaults(Node v, String where) throws WorkflowException {
    String shell = null;
    String workingDirectory = null;
    for (YamlNodes.Entry e : yaml.entries(v, where + " defaults")) {
      if (!e.key().equals("run")) {
        notices.add(yaml.notice(e.keyNode(), "unknown key '" + e.key() + "' in " + where + " defaults is ignored"));
        continue;
      }
      for (YamlNodes.Entry r : yaml.entries(e.value(), where + " defaults.run")) {
        switch (r.key()) {
          case "shell" -> shell = template(r.value(), where + " defaults.run.shell");
          case "working-directory" -> workingDirectory = template(r.value(), where + " defaults.run.working-directory");
          default -> notices.add(yaml.notice(r.keyNode(), "unknown key '" + r.key() + "' in " + where
              + " defaults.run is ignored"));
        }
      }
    }
    return new Defaults(shell, workingDirectory);
  }

  private Double timeout(Node v, String where, Double fallback) throws WorkflowException {
    Double minutes = YamlNodes.number(v);
    if (minutes != null) {
      if (!(minutes > 0)) {
        throw yaml.error(v, where + " timeout-minutes must be positive");
      }
      // Fractions are kept, as GitHub's runner does (0.5 = 30 s).
      return minutes;
    }
    String text = yaml.text(v, where + " timeout-minutes");
    if (!text.contains("${{")) {
      throw yaml.error(v, where + " timeout-minutes must be a number, not '" + text + "'");
    }
    template(v, where + " timeout-minutes");
    notices.add(yaml.notice(v, where + " timeout-minutes from an expression is not supported by DevFlow; using "
        + (fallback == null ? "the job's timeout" : Values.formatNumber(fallback) + " minutes")));
    return fallback;
  }

  private String continueOnError(Node v, String where) throws WorkflowException {
    Boolean b = YamlNodes.bool(v);
    if (b != null) {
      return b.toString();
    }
    String text = yaml.text(v, where + " continue-on-error");
    if (!text.contains("${{")) {
      throw yaml.error(v, where + " continue-on-error must be a boolean or an expression, not '" + text + "'");
    }
    return template(v, where + " continue-on-error");
  }

  /** A scalar whose {@code ${{ }}} expressions are checked. */
  public String template(Node v, String what) throws WorkflowException {
    String text = yaml.text(v, what);
    try {
      Expressions.checkTemplate(text);
    } catch (ExpressionException e) {
      throw yaml.errorAt(v, e.position(), "invalid expression in " + what + ": " + e.getMessage());
    }
    return text;
  }

  /** A mapping of scalars whose expressions are checked ({@code env}, {@code outputs}, {@code with}). */
  public Map<String, String> templates(Node v, String what) throws WorkflowException {
    Map<String, String> out = new LinkedHashMap<>();
    if (YamlNodes.isNull(v)) {
      return out;
    }
    for (YamlNodes.Entry e : yaml.entries(v, what)) {
      out.put(e.key(), template(e.value(), what + "." + e.key()));
    }
    return out;
  }

  /** An {@code if:} value, checked as {@link Expressions#condition} reads it. */
  public String condition(Node v, String what) throws WorkflowException {
    String text = yaml.text(v, what);
    try {
      Expressions.checkCondition(text);
    } catch (ExpressionException e) {
      throw yaml.errorAt(v, e.position(), "invalid expression in " + what + ": " + e.getMessage());
    }
    return text;
  }
}
