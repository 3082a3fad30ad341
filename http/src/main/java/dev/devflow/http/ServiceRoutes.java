package dev.devflow.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Health, metrics and cluster status (API.md "Service"). {@code /health/ready} is 200 only when
 * this node is Up in the cluster and its database answers; load balancers and the cluster test
 * harness wait on it.
 */
public final class ServiceRoutes extends ApiDirectives {

  public record MemberView(String address, String status, List<String> roles, Map<String, Integer> shards) {}

  public record ClusterView(String self, String leader, List<MemberView> members) {}

  private final ActorSystem<?> system;
  private final HttpMetrics metrics;
  private final Supplier<CompletionStage<Boolean>> databaseCheck;
  private final List<EntityTypeKey<?>> entityTypes;
  private final Duration askTimeout;

  public ServiceRoutes(
      ActorSystem<?> system,
      Authenticator authenticator,
      HttpMetrics metrics,
      Supplier<CompletionStage<Boolean>> databaseCheck,
      List<EntityTypeKey<?>> entityTypes,
      Duration askTimeout) {
    super(authenticator, 0);
    this.system = system;
    this.metrics = metrics;
    this.databaseCheck = databaseCheck;
    this.entityTypes = entityTypes;
    this.askTimeout = askTimeout;
  }

  /** Routes outside {@code /api/v1}. */
  public Route route() {
    return concat(
        path(
            segments("health", "alive"),
            () -> label("/health/alive", () -> get(() -> completeJson(StatusCodes.OK, Map.of("status", "alive"))))),
        path(segments("health", "ready"), () -> label("/health/ready", () -> get(this::ready))),
        path(
            "metrics",
            () -> label(
                "/metrics",
                () -> get(() -> complete(
                    HttpEntities.create(
                        ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))))));
  }

  /** {@code /api/v1/cluster}, for the cluster admin. */
  public Route clusterRoute() {
    return path(
        "cluster",
        () -> label(
            "/api/v1/cluster",
            () -> get(() -> authenticated(
                p -> p.clusterAdmin()
                    ? completeAsync(clusterView(), v -> completeJson(StatusCodes.OK, v))
                    : completeProblem(ProblemException.forbidden("needs the admin token").problem())))));
  }

  private static PathMatcher0 segments(String a, String b) {
    return PathMatchers.segment(a).slash(b);
  }

  private Route ready() {
    Member self = Cluster.get(system).selfMember();
    if (self.status() != MemberStatus.up()) {
      return notReady("cluster member status is " + self.status());
    }
    return onComplete(
        databaseCheck.get(),
        ok -> ok.isSuccess() && ok.get()
            ? completeJson(StatusCodes.OK, Map.of("status", "ready"))
            : notReady("database is not reachable"));
  }

  private Route notReady(String why) {
    return complete(Problems.response(503, "not-ready", "Not ready", why));
  }

  private CompletionStage<ClusterView> clusterView() {
    Cluster cluster = Cluster.get(system);
    var state = cluster.state();
    List<CompletableFuture<Map.Entry<String, ClusterShardingStats>>> stats =
        new ArrayList<>();
    for (EntityTypeKey<?> key : entityTypes) {
      stats.add(
          AskPattern.<ClusterShardingQuery, ClusterShardingStats>ask(
                  ClusterSharding.get(system).shardState(),
                  replyTo -> new GetClusterShardingStats(key, askTimeout, replyTo),
                  askTimeout.plusSeconds(1),
                  system.scheduler())
              .thenApply(s -> Map.entry(key.name(), s))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(stats.toArray(new CompletableFuture[0]))
        .thenApply(
            ignored -> {
              List<MemberView> members = new ArrayList<>();
              for (Member m : state.getMembers()) {
                Map<String, Integer> shards = new LinkedHashMap<>();
                for (var s : stats) {
                  var e = s.join();
                  var region = e.getValue().getRegions().get(m.address());
                  shards.put(e.getKey(), region == null ? 0 : region.getStats().size());
                }
                members.add(
                    new MemberView(
                        m.address().toString(),
                        m.status().toString().toLowerCase(),
                        new ArrayList<>(m.getRoles()).stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
                        shards));
              }
              Address leader = state.getLeader();
              return new ClusterView(
                  cluster.selfMember().address().toString(), leader == null ? null : leader.toString(), members);
            });
  }
}
