package dev.devflow.actors.feed;

import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's live fan-out of feed entries to its connected clients. The feed projection (one per
 * cluster) sends every new batch to the hub of every node ({@link #KEY} in the receptionist); the
 * hub offers each entry to the bounded queue of every local subscriber of that tenant. A queue that
 * is full ends its subscription (the client gets {@code resync}); the hub never waits for a client.
 *
 * <p>A batch that does not reach a hub (a node that joined a moment ago and is not yet in the
 * projection's list) is noticed by the hub's own check of the feed's last ids every few seconds,
 * or by the next entry of the tenant, and clients then read the gap from the feed table.
 *
 * <p>Thread-safe: subscribe and unsubscribe from any thread; dispatch runs in the hub actor.
 */
public final class FeedHub {

  private static final Logger log = LoggerFactory.getLogger(FeedHub.class);

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "devflow-feed-hub");

  public sealed interface Command {}

  /** New entries from the projection, in feed order per tenant. */
  public record Publish(List<FeedRecord> entries) implements Command, CrossNodeMessage {}

  private record CheckLastIds() implements Command {}

  private record LastIds(Map<String, Long> ids) implements Command {}

  private final Map<String, Set<Subscription>> subscribers = new ConcurrentHashMap<>();
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
  private final List<Consumer<List<FeedRecord>>> listeners = new CopyOnWriteArrayList<>();
  /** Ends every client stream of this node cleanly when the node shuts down. */
  private final SharedKillSwitch streams = KillSwitches.shared("feed-streams");

  /**
   * One client's queue. Offered to from the hub actor and from the client's own stream (paging
   * posts to itself), so ending it is guarded: the queue is completed exactly once.
   */
  final class Subscription {
    private final String tenant;
    private final BoundedSourceQueue<FeedSignal> queue;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean overflowed;

    private Subscription(String tenant, BoundedSourceQueue<FeedSignal> queue) {
      this.tenant = tenant;
      this.queue = queue;
    }

    /** Offers a signal; a full queue ends the subscription with {@link #overflowed()} set. */
    void offer(FeedSignal signal) {
      if (closed.get()) {
        return;
      }
      QueueOfferResult result = queue.offer(signal);
      if (result == QueueOfferResult.dropped()) {
        overflowed = true;
        close();
      } else if (result != QueueOfferResult.enqueued()) {
        close();
      }
    }

    boolean overflowed() {
      return overflowed;
    }

    /** Leaves the hub and ends the queue (its buffered signals are still delivered). */
    void close() {
      subscribers.computeIfPresent(tenant, (t, set) -> {
        set.remove(this);
        return set.isEmpty() ? null : set;
      });
      if (closed.compareAndSet(false, true)) {
        try {
          queue.complete();
        } catch (IllegalStateException alreadyEnded) {
          // the stream ended first (client gone): nothing left to complete
        }
      }
    }
  }

  /**
   * More entries of one tenant in one batch than this go to clients as one "read up to here"
   * signal (the client pages them from the table) instead of one by one: a push of thousands of
   * tags must not overflow the queue of a client that keeps up.
   */
  static final int BATCH_AS_SIGNAL = 16;

  /** Registers a client's queue for a tenant's entries. */
  Subscription subscribe(String tenant, BoundedSourceQueue<FeedSignal> queue) {
    Subscription s = new Subscription(tenant, queue);
    subscribers.computeIfAbsent(tenant, t -> ConcurrentHashMap.newKeySet()).add(s);
    return s;
  }

  /** Calls {@code listener} with every batch this node receives (all tenants), in the hub actor. */
  public void addListener(Consumer<List<FeedRecord>> listener) {
    listeners.add(listener);
  }

  public void removeListener(Consumer<List<FeedRecord>> listener) {
    listeners.remove(listener);
  }

  /** Client streams go through this, so that {@link #endStreams()} can end them all. */
  SharedKillSwitch streams() {
    return streams;
  }

  /** Completes every client stream (shutdown: clients reconnect to another node and resume). */
  public void endStreams() {
    streams.shutdown();
  }

  /** Number of connected clients on this node. */
  public int subscriberCount() {
    return subscribers.values().stream().mapToInt(Set::size).sum();
  }

  private void dispatch(List<FeedRecord> entries) {
    // Listeners (the flag catalog) first: a stream that renders an entry from node state must
    // find that state already updated.
    for (Consumer<List<FeedRecord>> l : listeners) {
      try {
        l.accept(entries);
      } catch (RuntimeException e) {
        // One failing listener must not cost the others, or this node's clients, the batch.
        log.error("feed hub: a listener failed on a batch of {} entries", entries.size(), e);
      }
    }
    Map<String, List<FeedRecord>> byTenant = new LinkedHashMap<>();
    for (FeedRecord r : entries) {
      lastSeen.merge(r.tenant(), r.id(), Math::max);
      byTenant.computeIfAbsent(r.tenant(), t -> new ArrayList<>()).add(r);
    }
    byTenant.forEach((tenant, records) -> {
      Set<Subscription> set = subscribers.get(tenant);
      if (set == null) {
        return;
      }
      if (records.size() > BATCH_AS_SIGNAL) {
        FeedSignal behind = new FeedSignal.Behind(records.get(records.size() - 1).id());
        set.forEach(s -> s.offer(behind));
        return;
      }
      for (FeedRecord r : records) {
        FeedSignal.Entry signal = new FeedSignal.Entry(r);
        for (Subscription s : set) {
          s.offer(signal);
        }
      }
    });
  }

  private void catchUp(Map<String, Long> ids) {
    ids.forEach((tenant, id) -> {
      Long seen = lastSeen.get(tenant);
      if (seen == null || seen < id) {
        lastSeen.merge(tenant, id, Math::max);
        Set<Subscription> set = subscribers.get(tenant);
        if (set != null) {
          set.forEach(s -> s.offer(new FeedSignal.Behind(id)));
        }
      }
    });
  }

  /**
   * The hub's actor: receives {@link Publish} from the projection and checks the feed's last ids of
   * subscribed tenants every {@code checkInterval} (a safety net, not the live path).
   */
  public Behavior<Command> behavior(FeedStore store, Executor blocking, Duration checkInterval) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      return Behaviors.<Command>supervise(Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(new CheckLastIds(), checkInterval);
        return Behaviors.receive(Command.class)
            .onMessage(Publish.class, p -> {
              dispatch(p.entries());
              return Behaviors.same();
            })
            .onMessage(CheckLastIds.class, c -> {
              List<String> tenants = List.copyOf(subscribers.keySet());
              if (!tenants.isEmpty()) {
                ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> store.lastIds(tenants), blocking),
                    (ids, error) -> new LastIds(error == null ? ids : Map.of()));
              }
              return Behaviors.same();
            })
            .onMessage(LastIds.class, l -> {
              catchUp(l.ids());
              return Behaviors.same();
            })
            .build();
      })).onFailure(SupervisorStrategy.resume());
    });
  }
}
