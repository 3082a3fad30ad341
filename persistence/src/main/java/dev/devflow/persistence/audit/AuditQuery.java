package dev.devflow.persistence.audit;

import java.time.Instant;

/**
 * Filters of an audit log read; null = any. Entries come newest first; {@code before} is the
 * paging cursor (the id of the last entry of the previous page).
 */
public record AuditQuery(
    String action, String actorId, String resourcePrefix, String result, Instant since, Instant until, Long before,
    int limit) {}
