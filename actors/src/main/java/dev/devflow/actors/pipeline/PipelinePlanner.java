package dev.devflow.actors.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.ci.workflow.ExpressionContext;
import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.Expressions;
import dev.devflow.actors.ci.workflow.JobSpec;
import dev.devflow.actors.ci.workflow.JobStatus;
import dev.devflow.actors.ci.workflow.Strategy;
import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.ci.workflow.WorkflowException;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The scheduling rules of a pipeline, as pure functions of its state: which jobs a workflow
 * expands to, and what follows from a state (jobs whose needs are done get queued or skipped by
 * their {@code if}, {@code fail-fast} cancels matrix siblings, {@code max-parallel} holds some back,
 * the pipeline finishes when every job has).
 *
 * <p>Stateless and thread-safe.
 */
final class PipelinePlanner {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STATUS_FUNCTION =
      Pattern.compile("\\b(success|failure|always|cancelled)\\s*\\(", Pattern.CASE_INSENSITIVE);

  /** Events to persist and leases whose running jobs should be told to stop. */
  record Plan(List<Pipeline.Event> events, List<String> leasesToCancel) {}

  private PipelinePlanner() {}

  /** The jobs of a new pipeline: one per workflow job, or one per matrix combination. */
  static List<PipelineJob> expand(Workflow workflow, Map<String, Object> github)
      throws WorkflowException, ExpressionException {
    List<PipelineJob> jobs = new ArrayList<>();
    for (JobSpec spec : workflow.jobs().values()) {
      Strategy strategy = spec.strategy();
      List<Map<String, Object>> combinations = strategy == null ? List.of() : strategy.combinations();
      if (combinations.isEmpty()) {
        jobs.add(instance(spec, spec.id(), null, github));
      } else {
        for (int i = 0; i < combinations.size(); i++) {
          jobs.add(instance(spec, spec.id() + "-" + (i + 1), combinations.get(i), github));
        }
      }
    }
    return jobs;
  }

  private static PipelineJob instance(JobSpec spec, String key, Map<String, Object> matrix, Map<String, Object> github)
      throws ExpressionException {
    Map<String, Object> contexts = new LinkedHashMap<>();
    contexts.put("github", github);
    contexts.put("matrix", matrix == null ? Map.of() : matrix);
    ExpressionContext ctx = new ExpressionContext(contexts, JobStatus.SUCCESS);
    String name;
    if (spec.name() != null) {
      name = Expressions.interpolate(spec.name(), ctx);
    } else if (matrix != null && !matrix.isEmpty()) {
      name = spec.id() + " (" + matrix.values().stream().map(Expressions::toString).collect(Collectors.joining(", "))
          + ")";
    } else {
      name = spec.id();
    }
    List<String> runsOn = new ArrayList<>();
    for (String label : spec.runsOn()) {
      runsOn.add(Expressions.interpolate(label, ctx));
    }
    String matrixJson;
    try {
      matrixJson = matrix == null ? null : JSON.writeValueAsString(matrix);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return PipelineJob.waiting(key, spec.id(), name, matrixJson, runsOn, spec.needs());
  }

  /** What follows from {@code state}; applying the events and planning again yields nothing new. */
  static Plan next(Pipeline.State state, Workflow workflow, Map<String, Object> github, Instant now) {
    List<Pipeline.Event> events = new ArrayList<>();
    List<String> cancel = new ArrayList<>();
    Pipeline.State s = state;
    boolean changed = true;
    while (changed && s.status() != null && !s.finished()) {
      changed = false;
      for (Pipeline.Event e : failFast(s, workflow, cancel, now)) {
        events.add(e);
        s = s.apply(e);
        changed = true;
      }
      for (PipelineJob job : List.copyOf(s.jobs().values())) {
        if (job.status() != Status.WAITING) {
          continue;
        }
        Pipeline.Event e = decide(s, job, workflow.jobs().get(job.jobId()), github, now);
        if (e != null) {
          events.add(e);
          s = s.apply(e);
          changed = true;
        }
      }
      if (s.jobs().values().stream().allMatch(j -> j.status().terminal())) {
        Pipeline.Event e = new Pipeline.PipelineFinished(finalStatus(s), now);
        events.add(e);
        s = s.apply(e);
      }
    }
    return new Plan(events, cancel);
  }

  /** A waiting job whose needs are all finished: queued, skipped, failed (bad if) or held back. */
  private static Pipeline.Event decide(Pipeline.State s, PipelineJob job, JobSpec spec, Map<String, Object> github,
      Instant now) {
    List<PipelineJob> deps = s.jobs().values().stream().filter(d -> job.needs().contains(d.jobId())).toList();
    if (!deps.stream().allMatch(d -> d.status().terminal())) {
      return null;
    }
    if (s.cancelRequested()) {
      return finished(job, Status.CANCELLED, "the pipeline was cancelled", now);
    }
    boolean allPassed = deps.stream().allMatch(PipelineJob::passed);
    String condition = spec.ifExpr();
    if (!allPassed && (condition == null || !STATUS_FUNCTION.matcher(condition).find())) {
      return finished(job, Status.SKIPPED, "a job it needs did not succeed", now);
    }
    JobStatus status = deps.stream().anyMatch(d -> d.status() == Status.FAILED && !d.failureAllowed())
        ? JobStatus.FAILURE
        : deps.stream().anyMatch(d -> d.status() == Status.CANCELLED) ? JobStatus.CANCELLED : JobStatus.SUCCESS;
    Map<String, Object> contexts = new LinkedHashMap<>();
    contexts.put("github", github);
    contexts.put("needs", needsContext(s, job));
    try {
      if (!Expressions.condition(condition, new ExpressionContext(contexts, status))) {
        return finished(job, Status.SKIPPED, "its if condition is false", now);
      }
    } catch (ExpressionException e) {
      return finished(job, Status.FAILED, "if: " + e.getMessage(), now);
    }
    Integer maxParallel = spec.strategy() == null ? null : spec.strategy().maxParallel();
    if (maxParallel != null) {
      long active = s.jobs().values().stream()
          .filter(j -> j.jobId().equals(job.jobId()))
          .filter(j -> j.status() == Status.QUEUED || j.status() == Status.RUNNING)
          .count();
      if (active >= maxParallel) {
        return null;
      }
    }
    return new Pipeline.JobQueued(job.key(), 1, now);
  }

  /** A failed matrix combination with fail-fast (the default) cancels its siblings. */
  private static List<Pipeline.Event> failFast(Pipeline.State s, Workflow workflow, List<String> cancel, Instant now) {
    List<Pipeline.Event> events = new ArrayList<>();
    for (PipelineJob failed : s.jobs().values()) {
      Strategy strategy = workflow.jobs().get(failed.jobId()).strategy();
      if (failed.status() != Status.FAILED || failed.failureAllowed() || strategy == null || !strategy.failFast()) {
        continue;
      }
      for (PipelineJob sibling : s.jobs().values()) {
        if (!sibling.jobId().equals(failed.jobId()) || sibling.status().terminal()) {
          continue;
        }
        if (sibling.status() == Status.RUNNING) {
          if (!cancel.contains(sibling.leaseId())) {
            cancel.add(sibling.leaseId());
          }
        } else {
          events.add(finished(sibling, Status.CANCELLED, "fail-fast: " + failed.key() + " failed", now));
        }
      }
      if (!events.isEmpty()) {
        return events;
      }
    }
    return events;
  }

  /** {@code needs.<job>}: result and outputs; a matrix job's result is its worst combination's. */
  static Map<String, Object> needsContext(Pipeline.State s, PipelineJob job) {
    Map<String, Object> needs = new LinkedHashMap<>();
    for (String dep : job.needs()) {
      List<PipelineJob> instances = s.jobs().values().stream().filter(j -> j.jobId().equals(dep)).toList();
      Map<String, Object> outputs = new LinkedHashMap<>();
      instances.forEach(i -> outputs.putAll(i.outputs()));
      String result = instances.stream().anyMatch(i -> i.result().equals("failure")) ? "failure"
          : instances.stream().anyMatch(i -> i.result().equals("cancelled")) ? "cancelled"
          : instances.stream().allMatch(i -> i.result().equals("skipped")) ? "skipped" : "success";
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("result", result);
      entry.put("outputs", outputs);
      needs.put(dep, entry);
    }
    return needs;
  }

  private static String finalStatus(Pipeline.State s) {
    if (s.cancelRequested()) {
      return "cancelled";
    }
    boolean failed = s.jobs().values().stream()
        .anyMatch(j -> (j.status() == Status.FAILED && !j.failureAllowed()) || j.status() == Status.CANCELLED);
    return failed ? "failed" : "succeeded";
  }

  private static Pipeline.Event finished(PipelineJob job, Status status, String reason, Instant now) {
    return new Pipeline.JobFinished(job.key(), job.attempt(), null, status, Map.of(), reason, false, now);
  }
}
