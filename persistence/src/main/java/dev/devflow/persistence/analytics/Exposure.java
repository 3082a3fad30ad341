package dev.devflow.persistence.analytics;

import java.time.Instant;

/** A user who was given {@code variant} of a flag at {@code exposedAt}. */
public record Exposure(String tenant, String flag, String variant, String userId, Instant exposedAt) {}
