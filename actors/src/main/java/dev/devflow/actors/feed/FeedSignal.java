package dev.devflow.actors.feed;

import dev.devflow.persistence.feed.FeedRecord;

/** What a client's bounded queue carries: a live entry, or word that the feed reached an id. */
sealed interface FeedSignal {

  record Entry(FeedRecord record) implements FeedSignal {}

  /** Entries up to {@code upTo} exist ({@link Long#MAX_VALUE}: read until there are no more). */
  record Behind(long upTo) implements FeedSignal {}
}
