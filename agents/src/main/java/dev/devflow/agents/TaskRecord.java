package dev.devflow.agents;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.time.Instant;

/** A task in an agent's recent history. {@code status}: running, posted or failed. */
public record TaskRecord(
    String id, String repo, String ref, String before, String after, String status, String reason, double costUsd,
    Instant startedAt, Instant finishedAt) implements CrossNodeMessage {

  static TaskRecord running(ReviewTask t, Instant at) {
    return new TaskRecord(t.id(), t.repo(), t.ref(), t.before(), t.after(), "running", null, 0, at, null);
  }

  TaskRecord finished(String status, String reason, double cost, Instant at) {
    return new TaskRecord(id, repo, ref, before, after, status, reason, cost, startedAt, at);
  }
}
