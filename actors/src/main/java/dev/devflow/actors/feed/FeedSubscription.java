package dev.devflow.actors.feed;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One client's view of a tenant's feed: every entry after a given id, in id order, with no gap and
 * no duplicate, first from the feed table and then live, as a stream.
 *
 * <p>The client's bounded queue is registered with the {@link FeedHub} before anything is read, so
 * nothing published during the replay is missed. The stream keeps {@code last}, the highest id
 * delivered (or skipped by the filter): a live entry right after it is delivered as is; an entry
 * further ahead means some were not seen live, and the gap is read from the table, a page at a
 * time, continuing by posting to its own queue. A full queue (the client reads too slowly) ends
 * the stream with a {@code resync} entry whose id is {@code last}; memory per client is the queue
 * plus one page.
 */
public final class FeedSubscription {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Tuning: queue length (entries a client may fall behind) and table page size. */
  public record Limits(int bufferSize, int pageSize) {}

  private final String tenant;
  private final FeedStore store;
  private final Executor blocking;
  private final Predicate<String> types;
  private final int pageSize;
  /** Set when the stream is materialized, before its first element. */
  private volatile FeedHub.Subscription subscription;
  private long last;

  private FeedSubscription(
      String tenant, long after, FeedStore store, Executor blocking, Predicate<String> types, int pageSize) {
    this.tenant = tenant;
    this.last = after;
    this.store = store;
    this.blocking = blocking;
    this.types = types;
    this.pageSize = pageSize;
  }

  /**
   * The entries of {@code tenant} after id {@code after} (negative: from now) that {@code types}
   * accepts, then live ones, until the client cancels or falls behind (then a final {@link FeedTypes#RESYNC} entry).
   */
  public static Source<FeedRecord, NotUsed> open(
      FeedHub hub, FeedStore store, Executor blocking,
      String tenant, long after, Predicate<String> types, Limits limits) {
    FeedSubscription s = new FeedSubscription(tenant, after, store, blocking, types, limits.pageSize());
    // The queue is part of the client's own stream (no pre-materialized island: one actor hop less
    // per entry per client). concat materializes it with the stream, so it is registered with the
    // hub before the replay below reads anything.
    Source<FeedSignal, NotUsed> live = Source.<FeedSignal>queue(limits.bufferSize())
        .mapMaterializedValue(queue -> {
          s.subscription = hub.subscribe(tenant, queue);
          return NotUsed.getInstance();
        });
    return Source.<FeedSignal>single(new FeedSignal.Behind(Long.MAX_VALUE))
        .concat(live)
        .via(hub.streams().flow())
        .mapAsync(1, s::step)
        .mapConcat(list -> list)
        // concatLazy: the choice must be made when the live part ends, not when the stream starts.
        .concatLazy(Source.lazySource(() -> s.subscription.overflowed() ? Source.single(s.resync()) : Source.empty()))
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, e) -> s.subscription.close());
          return NotUsed.getInstance();
        });
  }

  /** Runs one signal at a time (mapAsync parallelism 1), so {@code last} needs no lock. */
  private CompletionStage<List<FeedRecord>> step(FeedSignal signal) {
    if (signal instanceof FeedSignal.Entry e) {
      long id = e.record().id();
      if (id <= last) {
        return CompletableFuture.completedFuture(List.of());
      }
      if (id == last + 1) {
        last = id;
        return CompletableFuture.completedFuture(types.test(e.record().type()) ? List.of(e.record()) : List.of());
      }
      return page(id);
    }
    long upTo = ((FeedSignal.Behind) signal).upTo();
    if (last < 0) {
      // "From now": start after the newest entry; anything newer is already in the queue.
      return CompletableFuture.supplyAsync(() -> store.lastId(tenant), blocking).thenApply(id -> {
        last = id;
        return List.of();
      });
    }
    return upTo <= last ? CompletableFuture.completedFuture(List.of()) : page(upTo);
  }

  private CompletionStage<List<FeedRecord>> page(long upTo) {
    long from = last;
    return CompletableFuture.supplyAsync(() -> store.read(tenant, from, upTo, pageSize), blocking)
        .thenApply(rows -> {
          if (!rows.isEmpty()) {
            last = rows.get(rows.size() - 1).id();
          }
          if (rows.size() == pageSize && last < upTo) {
            subscription.offer(new FeedSignal.Behind(upTo));
          }
          return rows.stream().filter(r -> types.test(r.type())).toList();
        });
  }

  private FeedRecord resync() {
    Instant now = Instant.now();
    String data = JSON.createObjectNode()
        .put("tenant", tenant).put("at", now.toString()).put("after", last)
        .put("reason", "the client fell behind the live feed; reconnect with Last-Event-ID " + last)
        .toString();
    return new FeedRecord(tenant, last, FeedTypes.RESYNC, data, now);
  }
}
