package dev.devflow.http;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Cluster gauges: members by status (read from the local membership view at scrape time) and, per
 * entity type, the shards and entities this node hosts (refreshed every 15 s, since asking the
 * shard regions on every scrape would make scrapes slow).
 */
public final class ClusterMetrics {

  private static final Duration REFRESH = Duration.ofSeconds(15);

  private ClusterMetrics() {}

  public static void register(PrometheusRegistry registry, ActorSystem<?> system, List<EntityTypeKey<?>> types) {
    Cluster cluster = Cluster.get(system);
    GaugeWithCallback.builder()
        .name("devflow_cluster_members")
        .help("Cluster members by status, as this node sees them")
        .labelNames("status")
        .callback(
            cb -> {
              Map<String, Integer> counts = new TreeMap<>();
              for (MemberStatus st : List.of(MemberStatus.joining(), MemberStatus.up(), MemberStatus.leaving(),
                  MemberStatus.exiting(), MemberStatus.down())) {
                counts.put(st.toString().toLowerCase(), 0);
              }
              for (Member m : cluster.state().getMembers()) {
                counts.merge(m.status().toString().toLowerCase(), 1, Integer::sum);
              }
              counts.forEach((status, n) -> cb.call(n, status));
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("devflow_cluster_unreachable_members")
        .help("Members this node cannot reach")
        .callback(cb -> cb.call(cluster.state().getUnreachable().size()))
        .register(registry);

    Map<String, CurrentShardRegionState> regions = new ConcurrentHashMap<>();
    system.scheduler().scheduleWithFixedDelay(
        Duration.ZERO,
        REFRESH,
        () -> {
          for (EntityTypeKey<?> key : types) {
            AskPattern.<ClusterShardingQuery, CurrentShardRegionState>ask(
                    ClusterSharding.get(system).shardState(),
                    replyTo -> new GetShardRegionState(key, replyTo),
                    Duration.ofSeconds(5),
                    system.scheduler())
                .thenAccept(state -> regions.put(key.name(), state));
          }
        },
        system.executionContext());
    GaugeWithCallback.builder()
        .name("devflow_sharding_shards")
        .help("Shards hosted by this node, by entity type")
        .labelNames("entity")
        .callback(cb -> regions.forEach((type, st) -> cb.call(st.getShards().size(), type)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("devflow_sharding_entities")
        .help("Entities running on this node, by entity type")
        .labelNames("entity")
        .callback(
            cb -> regions.forEach(
                (type, st) -> cb.call(st.getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum(), type)))
        .register(registry);
  }
}
