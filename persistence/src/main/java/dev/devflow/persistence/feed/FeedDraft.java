package dev.devflow.persistence.feed;

import java.time.Instant;

/**
 * A feed entry before it has an id. {@code sourceOrdering}/{@code sourceIndex} name the journal
 * row (and the n-th entry made from it) so that the same row can never become two entries.
 */
public record FeedDraft(long sourceOrdering, int sourceIndex, String tenant, String type, String data, Instant at) {}
