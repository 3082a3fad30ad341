package dev.devflow.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.function.Function;

/**
 * Starts sharding for one entity type with the settings of its block in sharding-config ({@code
 * devflow.sharding.<type>}). Nodes without the type's role start a proxy only.
 */
public final class EntitySharding {

  private EntitySharding() {}

  public static <M> ActorRef<ShardingEnvelope<M>> init(
      ActorSystem<?> system,
      EntityTypeKey<M> key,
      String type,
      Function<EntityContext<M>, Behavior<M>> create) {
    Config c = system.settings().config().getConfig("devflow.sharding." + type);
    Config sharding =
        ConfigFactory.parseMap(
                Map.of(
                    "role", c.getString("role"),
                    "remember-entities", c.getBoolean("remember-entities"),
                    // In the journal, not in distributed data: remembered entities survive a
                    // restart of the whole cluster, and nodes need no local storage for them.
                    "remember-entities-store", "eventsourced",
                    "passivation.default-idle-strategy.idle-entity.timeout",
                        c.getDuration("passivate-after-idle").toMillis() + "ms"))
            .withFallback(system.settings().config().getConfig("pekko.cluster.sharding"));
    return ClusterSharding.get(system)
        .init(
            Entity.of(key, create)
                .withRole(c.getString("role"))
                .withSettings(ClusterShardingSettings.fromConfig(sharding))
                .withMessageExtractor(
                    new HashCodeMessageExtractor<M>(c.getInt("number-of-shards"))));
  }
}
