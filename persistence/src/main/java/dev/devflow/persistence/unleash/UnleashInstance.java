package dev.devflow.persistence.unleash;

import java.time.Instant;

/** An Unleash SDK instance seen by DevFlow; fields an SDK did not send are null. */
public record UnleashInstance(
    String appName, String instanceId, String sdkVersion, String strategies, Instant startedAt, Long intervalMs,
    String connectionId, Instant firstSeen, Instant lastSeen) {}
