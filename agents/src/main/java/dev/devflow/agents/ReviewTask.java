package dev.devflow.agents;

import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.time.Instant;

/**
 * One pushed range to review. {@code id} names the push (its feed entry), so a push handed over
 * twice is one task.
 */
public record ReviewTask(String id, String repo, String ref, String before, String after, Instant pushedAt)
    implements CrossNodeMessage {}
