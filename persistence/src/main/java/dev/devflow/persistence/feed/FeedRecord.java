package dev.devflow.persistence.feed;

import java.time.Instant;

/** A stored feed entry; {@code data} is the JSON object sent to clients. */
public record FeedRecord(String tenant, long id, String type, String data, Instant at) {}
