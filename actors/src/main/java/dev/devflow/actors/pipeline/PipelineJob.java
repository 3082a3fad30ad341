package dev.devflow.actors.pipeline;

import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One job of a pipeline as the Pipeline entity tracks it: a workflow job, or one combination of
 * its matrix. {@code key} is the job id, or {@code id-N} for the N-th matrix combination (from 1);
 * it names the job in the API ({@code …/jobs/{key}/log}).
 *
 * <p>Immutable; every change is a new value made by the entity's event handler.
 */
public record PipelineJob(
    String key,
    String jobId,
    String name,
    String matrixJson,
    List<String> runsOn,
    List<String> needs,
    Status status,
    int attempt,
    String leaseId,
    String runner,
    Instant queuedAt,
    Instant startedAt,
    Instant finishedAt,
    Map<String, String> outputs,
    String reason,
    boolean failureAllowed)
    implements StoredJson {

  /** {@code WAITING}: its needs are not finished yet (the API shows it as queued). */
  public enum Status {
    WAITING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED;

    public boolean terminal() {
      return ordinal() >= SUCCEEDED.ordinal();
    }

    /** As the API names it. */
    public String api() {
      return this == WAITING ? "queued" : name().toLowerCase();
    }
  }

  public PipelineJob {
    runsOn = runsOn == null ? List.of() : List.copyOf(runsOn);
    needs = needs == null ? List.of() : List.copyOf(needs);
    outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
  }

  static PipelineJob waiting(String key, String jobId, String name, String matrixJson, List<String> runsOn,
      List<String> needs) {
    return new PipelineJob(key, jobId, name, matrixJson, runsOn, needs, Status.WAITING, 0, null, null, null, null,
        null, Map.of(), null, false);
  }

  /** Succeeded, or failed with continue-on-error: its dependents and the pipeline go on. */
  public boolean passed() {
    return status == Status.SUCCEEDED || (status == Status.FAILED && failureAllowed);
  }

  /** The result as {@code needs.<job>.result} and the API's job result name it. */
  public String result() {
    return switch (status) {
      case SUCCEEDED -> "success";
      case FAILED -> failureAllowed ? "success" : "failure";
      case CANCELLED -> "cancelled";
      case SKIPPED -> "skipped";
      default -> "";
    };
  }

  PipelineJob queued(int attempt, Instant at) {
    return new PipelineJob(key, jobId, name, matrixJson, runsOn, needs, Status.QUEUED, attempt, null, null, at, null,
        null, outputs, reason, failureAllowed);
  }

  PipelineJob started(String leaseId, String runner, Instant at) {
    return new PipelineJob(key, jobId, name, matrixJson, runsOn, needs, Status.RUNNING, attempt, leaseId, runner,
        queuedAt, at, null, outputs, reason, failureAllowed);
  }

  PipelineJob finished(Status status, Map<String, String> outputs, String reason, boolean failureAllowed, Instant at) {
    return new PipelineJob(key, jobId, name, matrixJson, runsOn, needs, status, attempt, leaseId, runner, queuedAt,
        startedAt, at, outputs, reason, failureAllowed);
  }
}
