package dev.devflow.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;

/**
 * Releases the lease of a shard of this node when the shard stops. Pekko does that itself only
 * from 1.5.0 (apache/pekko#2740, "Release lease on shard stop"). DevFlow runs Pekko 1.2.1, the
 * newest whose pekko-discovery the build can get (cluster bootstrap needs it), where a shard that
 * a rebalance moved to another node kept its lease in PostgreSQL for as long as this node lived,
 * and so could start nowhere else. Remove this with the move to Pekko 1.5 or newer.
 *
 * <p>Each acquired shard lease is matched to its shard actor (by path, then by {@code Identify}),
 * which is watched; when it terminates, the lease is released unless the shard took it again since
 * (the keeper's generation). A shard gone before it was identified releases at once.
 */
final class ShardLeaseReleaser extends AbstractActor {

  /** Watch the shard whose lease {@code leaseName} this node took as acquisition {@code generation}. */
  record Watch(String leaseName, long generation) {}

  private final LeaseKeeper keeper;
  private final String leasePrefix;
  private final String shardingPath;
  private final Map<Long, Watch> identifying = new HashMap<>();
  private final Map<ActorRef, Watch> watched = new HashMap<>();
  private long nextId;

  private ShardLeaseReleaser(LeaseKeeper keeper, String systemName, String shardingGuardian) {
    this.keeper = keeper;
    this.leasePrefix = systemName + "-shard-";
    this.shardingPath = "/system/" + shardingGuardian + "/";
  }

  static Props props(LeaseKeeper keeper, String systemName, String shardingGuardian) {
    return Props.create(ShardLeaseReleaser.class, () -> new ShardLeaseReleaser(keeper, systemName, shardingGuardian));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Watch.class, this::onWatch)
        .match(ActorIdentity.class, this::onIdentity)
        .match(Terminated.class, t -> release(watched.remove(t.getActor())))
        .build();
  }

  /** Shard leases are named {@code <system>-shard-<type>-<shardId>} (Pekko's Shard); others are ignored. */
  private void onWatch(Watch w) {
    if (!w.leaseName().startsWith(leasePrefix)) {
      return; // a singleton's: its manager releases it
    }
    String typeAndShard = w.leaseName().substring(leasePrefix.length());
    int dash = typeAndShard.lastIndexOf('-'); // shard ids are numbers; a type name may hold '-'
    String path = shardingPath + encode(typeAndShard.substring(0, dash)) + "/" + encode(typeAndShard.substring(dash + 1));
    long id = nextId++;
    identifying.put(id, w);
    getContext().actorSelection(path).tell(new Identify(id), getSelf());
  }

  private void onIdentity(ActorIdentity identity) {
    Watch w = identifying.remove((Long) identity.correlationId());
    if (w == null) {
      return;
    }
    identity.getActorRef().ifPresentOrElse(shard -> {
      // The newest acquisition wins should two ever name one shard actor (older ones are void).
      watched.merge(shard, w, (a, b) -> a.generation() > b.generation() ? a : b);
      getContext().watch(shard);
    }, () -> release(w));
  }

  private void release(Watch w) {
    if (w != null) {
      keeper.releaseIf(w.leaseName(), w.generation());
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
