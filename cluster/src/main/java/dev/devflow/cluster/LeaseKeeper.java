package dev.devflow.cluster;

import com.typesafe.config.Config;
import dev.devflow.persistence.DatabaseSettings;
import dev.devflow.persistence.lease.LeaseStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the PostgreSQL leases ({@link PostgresLease}): one heartbeat per node keeps
 * every lease it holds, whatever their number. The owner is this incarnation (address and uid), so
 * a node restarted on the same address does not inherit the leases of the one that crashed; those
 * are free once its heartbeat row expires.
 *
 * <p>A lease counts as held only while the last successful heartbeat started less than three
 * quarters of the TTL ago. Past that (the database unreachable, or this process frozen) every lease
 * is reported lost before anything else happens, so Pekko stops those shards and singletons before
 * another node can take them. One thread does every database call, so acquiring, releasing and
 * checking never race each other.
 */
final class LeaseKeeper {

  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);
  /** Keepers by classic actor system: Pekko creates leases by reflection, with the system only. */
  private static final Map<org.apache.pekko.actor.ActorSystem, LeaseKeeper> KEEPERS = new ConcurrentHashMap<>();

  private final LeaseStore store;
  private final String owner;
  private final long validNanos;
  private final ScheduledExecutorService thread;
  private final Map<String, Consumer<Optional<Throwable>>> held = new ConcurrentHashMap<>();
  /** Which acquisition of each held lease is current, so a late release of an earlier one is ignored. */
  private final Map<String, Long> generations = new ConcurrentHashMap<>();
  private long lastGeneration;
  private volatile long validUntil;
  private volatile boolean closed;
  private volatile ActorRef shardReleaser;

  private LeaseKeeper(LeaseStore store, String owner, Duration ttl) {
    this.store = store;
    this.owner = owner;
    this.validNanos = ttl.toNanos() * 3 / 4;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "devflow-lease-keeper");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the heartbeat of this node (before any shard or singleton asks for a lease), from the
   * lease block {@code devflow.cluster.lease}; it ends when the node shuts down, releasing what it
   * still holds.
   */
  static LeaseKeeper start(ActorSystem<?> system, DatabaseSettings db) {
    Config c = system.settings().config().getConfig("devflow.cluster.lease");
    Duration ttl = c.getDuration("heartbeat-timeout");
    Duration interval = c.getDuration("heartbeat-interval");
    UniqueAddress self = Cluster.get(system).selfMember().uniqueAddress();
    String owner = self.address().hostPort() + "#" + self.longUid();
    LeaseKeeper keeper = new LeaseKeeper(new LeaseStore(db, ttl, c.getDuration("lease-operation-timeout")), owner, ttl);
    keeper.firstBeat(Duration.ofSeconds(60)); // before any lease is asked for
    keeper.thread.scheduleWithFixedDelay(keeper::beatSafely, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    keeper.shardReleaser = ((ExtendedActorSystem) system.classicSystem()).systemActorOf(
        ShardLeaseReleaser.props(keeper, system.name(),
        system.settings().config().getString("pekko.cluster.sharding.guardian-name")), "devflow-shard-lease-releaser");
    KEEPERS.put(system.classicSystem(), keeper);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "retire-leases",
        () -> keeper.retire().thenApply(v -> Done.getInstance()));
    system.getWhenTerminated().whenComplete((d, e) -> keeper.close(system));
    return keeper;
  }

  /**
   * The first heartbeat, tried again for up to {@code patience}: a node starting beside busy ones
   * may find the database slow to take one more connection, which is no reason to give up.
   */
  private void firstBeat(Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        submit(() -> {
          beat();
          return null;
        }).toCompletableFuture().join();
        return;
      } catch (java.util.concurrent.CompletionException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot start the lease heartbeat: " + e.getCause().getMessage(), e.getCause());
        }
        log.warn("lease heartbeat not started yet, trying again: {}", e.getCause().getMessage());
        try {
          Thread.sleep(500);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while starting the lease heartbeat", interrupted);
        }
      }
    }
  }

  static LeaseKeeper of(org.apache.pekko.actor.ActorSystem system) {
    LeaseKeeper keeper = KEEPERS.get(system);
    if (keeper == null) {
      throw new IllegalStateException("no lease keeper runs in actor system " + system.name());
    }
    return keeper;
  }

  /**
   * Takes {@code name} for this node. Completes with the acquisition's generation (for {@link
   * #releaseIf}), or 0 when another node holds it or this node's heartbeat is not current.
   */
  CompletionStage<Long> acquire(String name, Consumer<Optional<Throwable>> onLost) {
    return submit(() -> {
      if (!valid()) {
        return 0L; // not alive in the database for sure: taking a lease now could not be kept
      }
      if (!store.acquire(name, owner)) {
        return 0L;
      }
      held.put(name, onLost != null ? onLost : lost -> { });
      long generation = ++lastGeneration;
      generations.put(name, generation);
      return generation;
    });
  }

  CompletionStage<Boolean> release(String name) {
    return submit(() -> {
      held.remove(name);
      generations.remove(name);
      return store.release(name, owner);
    });
  }

  /** After a shard's lease was taken: releases it when the shard stops ({@link ShardLeaseReleaser}). */
  void releaseWhenShardStops(String name, long generation) {
    shardReleaser.tell(new ShardLeaseReleaser.Watch(name, generation), ActorRef.noSender());
  }

  /** Releases {@code name} if acquisition {@code generation} is still the current one. */
  CompletionStage<Boolean> releaseIf(String name, long generation) {
    return submit(() -> {
      if (!generations.remove(name, generation)) {
        return false; // released already, or taken again since
      }
      held.remove(name);
      return store.release(name, owner);
    });
  }

  boolean holds(String name) {
    return held.containsKey(name) && valid();
  }

  private boolean valid() {
    return System.nanoTime() < validUntil;
  }

  private void beatSafely() {
    try {
      beat();
    } catch (RuntimeException e) {
      log.warn("lease heartbeat failed: {}", e.getMessage());
      if (!valid()) {
        loseAll("no successful lease heartbeat for " + validNanos / 1_000_000 + " ms: " + e.getMessage());
      }
    }
  }

  /** Renews this owner and reports leases that were taken meanwhile; runs on the keeper thread. */
  private void beat() {
    long start = System.nanoTime();
    if (!valid() && !held.isEmpty()) {
      // Frozen or cut off for longer than a lease is sure: another node may hold them already.
      loseAll("this node's lease heartbeat stopped for longer than " + validNanos / 1_000_000 + " ms");
    }
    store.heartbeat(owner);
    validUntil = start + validNanos;
    if (!held.isEmpty()) {
      Set<String> mine = store.held(owner);
      for (String name : Set.copyOf(held.keySet())) {
        if (!mine.contains(name)) {
          lose(name, "lease " + name + " was taken by another node");
        }
      }
    }
  }

  private void loseAll(String why) {
    for (String name : Set.copyOf(held.keySet())) {
      lose(name, why);
    }
  }

  private void lose(String name, String why) {
    generations.remove(name);
    Consumer<Optional<Throwable>> onLost = held.remove(name);
    if (onLost != null) {
      log.warn("lease {} lost: {}", name, why);
      onLost.accept(Optional.of(new IllegalStateException(why)));
    }
  }

  private CompletableFuture<Void> retire() {
    return submit(() -> {
      held.clear();
      generations.clear();
      try {
        store.retire(owner);
      } catch (RuntimeException e) {
        log.warn("cannot release this node's leases (they expire by themselves): {}", e.getMessage());
      }
      return null;
    }).toCompletableFuture().thenApply(v -> null);
  }

  private <T> CompletionStage<T> submit(java.util.concurrent.Callable<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("the lease keeper has stopped"));
      return result;
    }
    try {
      thread.execute(() -> {
        try {
          result.complete(work.call());
        } catch (Exception e) {
          result.completeExceptionally(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("the lease keeper has stopped"));
    }
    return result;
  }

  private void close(ActorSystem<?> system) {
    closed = true;
    KEEPERS.remove(system.classicSystem(), this);
    thread.execute(store::close);
    thread.shutdown();
  }
}
