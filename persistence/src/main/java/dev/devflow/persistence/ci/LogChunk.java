package dev.devflow.persistence.ci;

import java.time.Instant;

/** One stored chunk of a job log: lines joined with {@code \n}, each ending in {@code \n}. */
public record LogChunk(int seq, String body, Instant at) {}
