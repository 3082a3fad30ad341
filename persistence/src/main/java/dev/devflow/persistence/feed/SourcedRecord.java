package dev.devflow.persistence.feed;

/** A feed entry with the journal position it came from (its order across all tenants). */
public record SourcedRecord(long ordering, int index, FeedRecord record) {}
