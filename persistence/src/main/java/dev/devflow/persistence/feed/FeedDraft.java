package dev.devflow.persistence.feed;

import java.time.Instant;

/**
 * A feed entry before it has an id. {@code sourceOrdering}/{@code sourceIndex} name the journal
 * row (and the n-th entry made from it) so that the same row can never become two entries.
 * {@code subject} (may be null) names what the entry is about when nodes need the newest entry
 * per subject at start (a flag's key, a tenant): see {@link FeedStore#latest}.
 *
 * <p>An entry from no journal row ({@link #unsourced}, appended by {@link FeedStore#appendUnsourced})
 * has {@code sourceOrdering} {@link #NO_SOURCE}.
 */
public record FeedDraft(
    long sourceOrdering, int sourceIndex, String tenant, String type, String data, Instant at, String subject) {

  public static final long NO_SOURCE = -1;

  public FeedDraft(long sourceOrdering, int sourceIndex, String tenant, String type, String data, Instant at) {
    this(sourceOrdering, sourceIndex, tenant, type, data, at, null);
  }

  /** An entry that comes from no journal row (an app's output). */
  public static FeedDraft unsourced(String tenant, String type, String data, Instant at) {
    return new FeedDraft(NO_SOURCE, 0, tenant, type, data, at, null);
  }
}
