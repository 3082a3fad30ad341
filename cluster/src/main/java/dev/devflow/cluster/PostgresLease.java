package dev.devflow.cluster;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;

/**
 * A Pekko lease kept in PostgreSQL, for {@code use-lease} of shards and singletons
 * ({@code devflow.cluster.lease} in cluster.conf): a shard or singleton starts only once its node
 * holds the lease, and stops when the lease is lost. That keeps one writer per shard even when the
 * node that ran it is cut off rather than dead, which is what lets the survivors start it soon
 * after the downing instead of after a long {@code down-removal-margin}. Pekko creates one per
 * shard or singleton by reflection; the work is done by this node's {@link LeaseKeeper}.
 */
public final class PostgresLease extends Lease {

  private final LeaseSettings settings;
  private final LeaseKeeper keeper;

  public PostgresLease(LeaseSettings settings, ExtendedActorSystem system) {
    this.settings = settings;
    this.keeper = LeaseKeeper.of(system);
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(null);
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    return keeper.acquire(settings.leaseName(), leaseLostCallback).thenApply(generation -> {
      if (generation > 0) {
        keeper.releaseWhenShardStops(settings.leaseName(), generation);
      }
      return generation > 0;
    });
  }

  @Override
  public CompletionStage<Boolean> release() {
    return keeper.release(settings.leaseName());
  }

  @Override
  public boolean checkLease() {
    return keeper.holds(settings.leaseName());
  }
}
