package dev.devflow.persistence.webhook;

import java.time.Instant;
import java.util.List;

/**
 * A tenant's outgoing webhook. {@code types} are feed type patterns ({@code repo.pushed},
 * {@code pipeline.*}); {@code cursorId} is the last feed id delivered or given up on.
 */
public record Webhook(
    String tenant, String name, String url, List<String> types, String secret, long cursorId,
    Instant createdAt, Instant updatedAt) {}
