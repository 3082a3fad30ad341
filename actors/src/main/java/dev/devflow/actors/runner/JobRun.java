package dev.devflow.actors.runner;

import dev.devflow.actors.ci.run.JobLog;
import dev.devflow.actors.ci.run.StepCommand;
import dev.devflow.actors.ci.run.StepFiles;
import dev.devflow.actors.ci.run.StepOutcome;
import dev.devflow.actors.ci.run.StepProcess;
import dev.devflow.actors.ci.workflow.ExpressionContext;
import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.Expressions;
import dev.devflow.actors.ci.workflow.JobSpec;
import dev.devflow.actors.ci.workflow.JobStatus;
import dev.devflow.actors.ci.workflow.StepSpec;
import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.PipelineContexts;
import dev.devflow.actors.pipeline.PipelineInfo;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one job's steps in its workspace, on the calling thread (a runner slot): each step's {@code
 * if}, expressions, shell and environment as GitHub Actions defines them, output to the job log,
 * {@code GITHUB_OUTPUT}/{@code GITHUB_ENV}/{@code GITHUB_PATH} carried to later steps, the job and
 * step timeouts, and cancellation ({@link #cancel}, from another thread).
 *
 * <p>The result is what the Pipeline records: SUCCEEDED, FAILED (with the reason) or CANCELLED,
 * the job's outputs, and whether {@code continue-on-error} allows the failure.
 */
final class JobRun {

  record Result(Status status, Map<String, String> outputs, String reason, boolean failureAllowed) {}

  private final Pipeline.JobWork work;
  private final Workflow workflow;
  private final JobSpec spec;
  private final Path workspace;
  private final Path temp;
  private final Map<String, String> secrets;
  private final JobLog log;
  private final String runnerName;
  private volatile boolean cancelled;
  private volatile boolean timedOut;
  private volatile StepProcess current;

  JobRun(Pipeline.JobWork work, Workflow workflow, Path workspace, Path temp, Map<String, String> secrets, JobLog log,
      String runnerName) {
    this.work = work;
    this.workflow = workflow;
    this.spec = workflow.jobs().get(work.jobId());
    this.workspace = workspace;
    this.temp = temp;
    this.secrets = secrets;
    this.log = log;
    this.runnerName = runnerName;
  }

  /** Stops the running step (its whole process group); later steps run only if they ask to. */
  void cancel() {
    cancelled = true;
    StepProcess p = current;
    if (p != null) {
      p.cancel();
    }
  }

  /** The job ran longer than its {@code timeout-minutes}. */
  void timeOut() {
    timedOut = true;
    cancel();
  }

  Result run() {
    Map<String, Object> contexts = baseContexts();
    Map<String, Object> steps = new LinkedHashMap<>();
    contexts.put("steps", steps);
    Map<String, String> env = new LinkedHashMap<>();
    List<String> path = new ArrayList<>();
    boolean failed = false;
    String reason = null;
    try {
      env.putAll(interpolateAll(workflow.env(), contexts, JobStatus.SUCCESS));
      contexts.put("env", new LinkedHashMap<>(env));
      env.putAll(interpolateAll(spec.env(), contexts, JobStatus.SUCCESS));
      contexts.put("env", new LinkedHashMap<>(env));
    } catch (ExpressionException e) {
      log.notice("Error: " + e.getMessage());
      return new Result(Status.FAILED, Map.of(), "env: " + e.getMessage(), false);
    }
    int index = 0;
    for (StepSpec step : spec.steps()) {
      index++;
      JobStatus status = cancelled ? JobStatus.CANCELLED : failed ? JobStatus.FAILURE : JobStatus.SUCCESS;
      String title = step.name() != null ? step.name() : step.run() != null ? firstLine(step.run()) : step.uses();
      try {
        if (!Expressions.condition(step.ifExpr(), new ExpressionContext(contexts, status))) {
          record(steps, step, "skipped", "skipped", Map.of());
          continue;
        }
        title = Expressions.interpolate(title, new ExpressionContext(contexts, status));
      } catch (ExpressionException e) {
        log.notice("Error: step " + index + " if: " + e.getMessage());
        failed = true;
        reason = reason == null ? "step " + index + ": " + e.getMessage() : reason;
        record(steps, step, "failure", "failure", Map.of());
        continue;
      }
      log.notice("##[group]" + (step.uses() != null ? "Run " + step.uses() : "Run " + title));
      StepResult r = step.uses() != null ? uses(step) : run(step, contexts, env, path, status);
      log.notice("##[endgroup]");
      if (!r.ok()) {
        boolean allowed = allowed(step.continueOnError(), contexts, status);
        record(steps, step, "failure", allowed ? "success" : "failure", r.outputs());
        log.notice((allowed ? "Warning: " : "Error: ") + r.message() + (allowed ? " (continue-on-error)" : ""));
        if (!allowed && !cancelled) {
          failed = true;
          reason = reason == null ? "step " + (step.id() != null ? step.id() : index) + ": " + r.message() : reason;
        }
      } else {
        record(steps, step, "success", "success", r.outputs());
      }
      contexts.put("env", new LinkedHashMap<>(env));
    }
    JobStatus end = cancelled ? JobStatus.CANCELLED : failed ? JobStatus.FAILURE : JobStatus.SUCCESS;
    Map<String, String> outputs = new LinkedHashMap<>();
    try {
      outputs.putAll(interpolateAll(spec.outputs(), contexts, end));
    } catch (ExpressionException e) {
      log.notice("Error: outputs: " + e.getMessage());
    }
    if (timedOut) {
      return new Result(Status.FAILED, outputs, "the job timed out after " + describe(minutes(spec.timeoutMinutes())),
          allowed(spec.continueOnError(), contexts, end));
    }
    if (cancelled) {
      return new Result(Status.CANCELLED, outputs, "cancelled", false);
    }
    if (failed) {
      return new Result(Status.FAILED, outputs, reason, allowed(spec.continueOnError(), contexts, end));
    }
    return new Result(Status.SUCCEEDED, outputs, null, false);
  }

  private record StepResult(boolean ok, String message, Map<String, String> outputs) {}

  private StepResult uses(StepSpec step) {
    String action = step.uses();
    if (action.toLowerCase().startsWith("actions/checkout@")) {
      log.notice("The commit " + work.info().sha() + " is already checked out in " + workspace);
      return new StepResult(true, null, Map.of());
    }
    return new StepResult(false, "the action " + action + " is not supported: DevFlow runs `run` steps and"
        + " actions/checkout only", Map.of());
  }

  private StepResult run(StepSpec step, Map<String, Object> contexts, Map<String, String> env, List<String> path,
      JobStatus status) {
    try {
      ExpressionContext ctx = new ExpressionContext(contexts, status);
      Map<String, String> stepEnv = new LinkedHashMap<>(env);
      stepEnv.putAll(interpolateAll(step.env(), withEnv(contexts, stepEnv), status));
      ctx = new ExpressionContext(withEnv(contexts, stepEnv), status);
      String script = Expressions.interpolate(step.run(), ctx);
      String shell = firstNonNull(step.shell(), spec.defaults() == null ? null : spec.defaults().shell(),
          workflow.defaults() == null ? null : workflow.defaults().shell());
      String dir = firstNonNull(step.workingDirectory(),
          spec.defaults() == null ? null : spec.defaults().workingDirectory(),
          workflow.defaults() == null ? null : workflow.defaults().workingDirectory());
      Path cwd = dir == null ? workspace : workspace.resolve(Expressions.interpolate(dir, ctx)).normalize();
      StepFiles files = StepFiles.create(temp);
      Map<String, String> processEnv = new LinkedHashMap<>(systemEnv(path));
      processEnv.putAll(githubEnv());
      processEnv.putAll(files.env());
      processEnv.putAll(stepEnv);
      Duration timeout = step.timeoutMinutes() == null ? null : minutes(step.timeoutMinutes());
      StepProcess p = StepProcess.start(new StepCommand(script, shell, cwd, processEnv, timeout, temp),
          (stderr, line) -> log.line(line));
      current = p;
      if (cancelled) {
        p.cancel();
      }
      StepOutcome outcome = p.outcome().join();
      current = null;
      Map<String, String> outputs = files.outputs();
      env.putAll(files.envAdditions());
      path.addAll(0, files.pathAdditions());
      if (outcome.timedOut()) {
        return new StepResult(false, "the step timed out after " + describe(timeout), outputs);
      }
      if (outcome.cancelled()) {
        return new StepResult(false, "the step was cancelled", outputs);
      }
      return outcome.exitCode() == 0 ? new StepResult(true, null, outputs)
          : new StepResult(false, "the process exited with code " + outcome.exitCode(), outputs);
    } catch (ExpressionException e) {
      return new StepResult(false, e.getMessage(), Map.of());
    } catch (IOException e) {
      return new StepResult(false, "cannot run the step: " + e.getMessage(), Map.of());
    }
  }

  private Map<String, Object> baseContexts() {
    PipelineInfo info = work.info();
    Map<String, Object> github = new LinkedHashMap<>(PipelineContexts.github(info, work.attempt()));
    github.put("workspace", workspace.toString());
    github.put("job", work.jobId());
    Map<String, Object> contexts = new LinkedHashMap<>();
    contexts.put("github", github);
    contexts.put("matrix", PipelineContexts.parse(work.matrixJson()));
    contexts.put("needs", PipelineContexts.parse(work.needsJson()));
    contexts.put("secrets", new LinkedHashMap<String, Object>(secrets));
    contexts.put("runner", Map.of("os", "Linux", "arch", "X64", "name", runnerName, "temp", temp.toString()));
    contexts.put("job", Map.of("status", "success"));
    contexts.put("inputs", Map.of());
    contexts.put("env", Map.of());
    return contexts;
  }

  /** The variables every step gets: CI, GITHUB_*, RUNNER_* and DEVFLOW_*. */
  private Map<String, String> githubEnv() {
    PipelineInfo info = work.info();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("CI", "true");
    env.put("GITHUB_ACTIONS", "true");
    env.put("GITHUB_SHA", info.sha());
    env.put("GITHUB_REF", info.ref());
    env.put("GITHUB_REF_NAME", info.refName());
    env.put("GITHUB_REF_TYPE", info.ref().startsWith("refs/tags/") ? "tag" : "branch");
    env.put("GITHUB_REPOSITORY", info.tenant() + "/" + info.repo());
    env.put("GITHUB_REPOSITORY_OWNER", info.tenant());
    env.put("GITHUB_RUN_NUMBER", String.valueOf(info.number()));
    env.put("GITHUB_RUN_ID", info.pipelineId());
    env.put("GITHUB_RUN_ATTEMPT", String.valueOf(work.attempt()));
    env.put("GITHUB_EVENT_NAME", info.event());
    env.put("GITHUB_ACTOR", info.actor());
    env.put("GITHUB_WORKFLOW", info.workflowName());
    env.put("GITHUB_JOB", work.jobId());
    env.put("GITHUB_WORKSPACE", workspace.toString());
    env.put("RUNNER_OS", "Linux");
    env.put("RUNNER_ARCH", "X64");
    env.put("RUNNER_NAME", runnerName);
    env.put("RUNNER_TEMP", temp.toString());
    env.put("DEVFLOW", "true");
    env.put("DEVFLOW_TENANT", info.tenant());
    env.put("DEVFLOW_REPO", info.repo());
    env.put("DEVFLOW_PIPELINE", String.valueOf(info.number()));
    env.put("DEVFLOW_JOB", work.key());
    return env;
  }

  /** A minimal host environment: PATH (with GITHUB_PATH additions first), HOME, LANG. */
  private Map<String, String> systemEnv(List<String> extraPath) {
    Map<String, String> env = new LinkedHashMap<>();
    String hostPath = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("PATH", extraPath.isEmpty() ? hostPath : String.join(":", extraPath) + ":" + hostPath);
    env.put("HOME", System.getenv().getOrDefault("HOME", temp.toString()));
    env.put("LANG", System.getenv().getOrDefault("LANG", "C.UTF-8"));
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null) {
      env.put("JAVA_HOME", javaHome);
    }
    return env;
  }

  private boolean allowed(String continueOnError, Map<String, Object> contexts, JobStatus status) {
    if (continueOnError == null || continueOnError.isBlank()) {
      return false;
    }
    try {
      String v = continueOnError.strip();
      if (v.startsWith("${{")) {
        return Expressions.truthy(Expressions.evaluate(v.substring(3, v.lastIndexOf("}}")), new ExpressionContext(contexts, status)));
      }
      return Boolean.parseBoolean(v);
    } catch (ExpressionException | RuntimeException e) {
      log.notice("Error: continue-on-error: " + e.getMessage());
      return false;
    }
  }

  private static Map<String, String> interpolateAll(Map<String, String> values, Map<String, Object> contexts,
      JobStatus status) throws ExpressionException {
    Map<String, String> out = new LinkedHashMap<>();
    if (values != null) {
      ExpressionContext ctx = new ExpressionContext(contexts, status);
      for (Map.Entry<String, String> e : values.entrySet()) {
        out.put(e.getKey(), Expressions.interpolate(e.getValue(), ctx));
      }
    }
    return out;
  }

  private static Map<String, Object> withEnv(Map<String, Object> contexts, Map<String, String> env) {
    Map<String, Object> c = new LinkedHashMap<>(contexts);
    c.put("env", new LinkedHashMap<String, Object>(env));
    return c;
  }

  private static void record(Map<String, Object> steps, StepSpec step, String outcome, String conclusion,
      Map<String, String> outputs) {
    if (step.id() != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("outcome", outcome);
      s.put("conclusion", conclusion);
      s.put("outputs", new LinkedHashMap<String, Object>(outputs));
      steps.put(step.id(), s);
    }
  }

  static Duration minutes(double minutes) {
    return Duration.ofMillis((long) (minutes * 60_000));
  }

  /** "2 minutes", "30 seconds". */
  static String describe(Duration d) {
    return d.toSeconds() % 60 == 0 ? d.toMinutes() + " minutes" : d.toMillis() / 1000.0 + " seconds";
  }

  private static String firstLine(String run) {
    String line = run.strip().lines().findFirst().orElse("");
    return line.length() > 80 ? line.substring(0, 77) + "..." : line;
  }

  @SafeVarargs
  private static <T> T firstNonNull(T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
