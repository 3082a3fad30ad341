package dev.devflow.persistence.feed;

import java.time.Instant;

/**
 * A feed entry before it has an id. {@code sourceOrdering}/{@code sourceIndex} name the journal
 * row (and the n-th entry made from it) so that the same row can never become two entries.
 * {@code subject} (may be null) names what the entry is about when nodes need the newest entry
 * per subject at start (a flag's key, a tenant): see {@link FeedStore#latest}.
 */
public record FeedDraft(
    long sourceOrdering, int sourceIndex, String tenant, String type, String data, Instant at, String subject) {

  public FeedDraft(long sourceOrdering, int sourceIndex, String tenant, String type, String data, Instant at) {
    this(sourceOrdering, sourceIndex, tenant, type, data, at, null);
  }
}
