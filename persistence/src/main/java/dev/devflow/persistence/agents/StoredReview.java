package dev.devflow.persistence.agents;

import java.time.Instant;

/** A posted review as stored: {@code review} is its JSON (summary, comments, skipped files). */
public record StoredReview(
    long id, String tenant, String agent, String taskId, String repo, String ref, String before, String after,
    String review, String model, double costUsd, Instant createdAt) {}
