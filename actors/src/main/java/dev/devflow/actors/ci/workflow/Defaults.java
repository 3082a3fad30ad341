package dev.devflow.actors.ci.workflow;

/**
 * {@code defaults.run} of a workflow or a job: the shell and working directory of {@code run} steps
 * that do not set their own. Either may be null. The job's defaults win over the workflow's; the
 * parser keeps both as written and does not merge them.
 */
public record Defaults(String shell, String workingDirectory) {

  public static final Defaults NONE = new Defaults(null, null);
}
