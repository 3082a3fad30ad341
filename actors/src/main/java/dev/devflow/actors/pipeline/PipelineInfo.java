package dev.devflow.actors.pipeline;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.List;

/**
 * What a pipeline was started for: the workflow file as it was at the commit (its whole text: the
 * pipeline runs that snapshot whatever is pushed later), the ref and commit, and who or what
 * started it. {@code error} is set when the workflow could not be read; the pipeline then exists
 * only to show it. {@code notices}: what the parser ignored (unknown keys, unsupported triggers),
 * as GitHub shows annotations.
 */
public record PipelineInfo(
    String tenant,
    String repo,
    long number,
    String file,
    String workflowName,
    String yaml,
    String ref,
    String sha,
    String before,
    String event,
    String actor,
    WorkflowError error,
    Instant createdAt,
    List<String> notices)
    implements StoredJson, CrossNodeMessage {

  public PipelineInfo {
    // Absent in pipelines created before notices were kept.
    notices = notices == null ? List.of() : List.copyOf(notices);
  }

  /** A workflow that does not parse: where and why. */
  public record WorkflowError(String file, int line, int column, String message)
      implements StoredJson, CrossNodeMessage {}

  public String pipelineId() {
    return Pipeline.entityId(tenant, repo, number);
  }

  /** The branch or tag name without {@code refs/heads/} or {@code refs/tags/}. */
  public String refName() {
    if (ref.startsWith("refs/heads/")) {
      return ref.substring("refs/heads/".length());
    }
    return ref.startsWith("refs/tags/") ? ref.substring("refs/tags/".length()) : ref;
  }
}
