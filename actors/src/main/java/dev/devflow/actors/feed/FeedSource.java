package dev.devflow.actors.feed;

import dev.devflow.persistence.feed.FeedDraft;
import java.util.List;

/**
 * Feed entries from the events of an entity type defined outside this module (AI agents): the
 * projection reads that type's journal rows too and asks its source for the drafts. Every
 * entry's data carries {@code tenant} and {@code at}, as the built-in ones do.
 */
public interface FeedSource {

  /** The entity type name, as in its persistence ids ({@code Agent|acme/reviewer}). */
  String entityType();

  List<FeedDraft> drafts(long ordering, String entityId, Object event);
}
