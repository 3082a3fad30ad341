package dev.devflow.persistence.secrets;

import java.time.Instant;

/** A stored secret without its value. {@code repo} is empty for the tenant tier. */
public record SecretInfo(String tenant, String repo, String name, Instant updatedAt, String updatedBy) {}
