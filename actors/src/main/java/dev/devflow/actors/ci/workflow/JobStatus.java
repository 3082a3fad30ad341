package dev.devflow.actors.ci.workflow;

/**
 * The status the status functions of an expression see: {@code success()} is true for
 * {@link #SUCCESS}, {@code failure()} for {@link #FAILURE}, {@code cancelled()} for
 * {@link #CANCELLED}. For a step it is the job's status so far; for a job, that of the jobs it needs.
 */
public enum JobStatus {
  SUCCESS,
  FAILURE,
  CANCELLED
}
