package dev.devflow.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.RootActorPath;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.Patterns;

/**
 * Health, metrics and cluster status (API.md "Service"). {@code /health/ready} is 200 only when
 * this node is Up in the cluster and its database answers; load balancers and the cluster test
 * harness wait on it.
 */
public final class ServiceRoutes extends ApiDirectives {

  /** {@code reachable}: as this node sees it; {@code shards} per entity type, null where not known. */
  public record MemberView(String address, String status, List<String> roles, boolean reachable,
      Map<String, Integer> shards) {}

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

  /**
   * Every member with its shards, asked of each reachable member's own regions at once. Pekko's
   * cluster-wide statistics wait for every region the coordinator knows and answer with nothing
   * at all when one is silent, so while a member was unreachable this view took the whole ask
   * timeout and then showed no shards anywhere. An unreachable member's counts are null (not
   * known), and so is a count its region did not give within the timeout.
   */
  private CompletionStage<ClusterView> clusterView() {
    Cluster cluster = Cluster.get(system);
    var state = cluster.state();
    List<CompletableFuture<MemberView>> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      boolean reachable = !state.getUnreachable().contains(m);
      Map<String, CompletableFuture<Integer>> counts = new LinkedHashMap<>();
      for (EntityTypeKey<?> key : entityTypes) {
        counts.put(key.name(), reachable ? shardsOn(m.address(), key.name()) : CompletableFuture.completedFuture(null));
      }
      members.add(CompletableFuture.allOf(counts.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
        Map<String, Integer> shards = new LinkedHashMap<>();
        counts.forEach((type, n) -> shards.put(type, n.join()));
        return new MemberView(
            m.address().toString(),
            m.status().toString().toLowerCase(),
            new ArrayList<>(m.getRoles()).stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
            reachable,
            shards);
      }));
    }
    return CompletableFuture.allOf(members.toArray(CompletableFuture[]::new)).thenApply(done -> {
      Address leader = state.getLeader();
      return new ClusterView(cluster.selfMember().address().toString(), leader == null ? null : leader.toString(),
          members.stream().map(CompletableFuture::join).toList());
    });
  }

  /**
   * How many shards of {@code type} the region on {@code member} hosts: 0 when the member runs no
   * such region (not of the entity's role: at most a proxy), null when it did not answer in time.
   */
  private CompletableFuture<Integer> shardsOn(Address member, String type) {
    ActorSelection region = system.classicSystem().actorSelection(
        new RootActorPath(member, "/").child("system").child("sharding").child(type));
    return Patterns.ask(region, new Identify(type), askTimeout).toCompletableFuture()
        .thenCompose(identity -> {
          Optional<ActorRef> ref = ((ActorIdentity) identity).getActorRef();
          if (ref.isEmpty()) {
            return CompletableFuture.completedFuture(0);
          }
          return Patterns.ask(ref.get(), ShardRegion.getRegionStatsInstance(), askTimeout).toCompletableFuture()
              .thenApply(stats -> ((ShardRegion.ShardRegionStats) stats).getStats().size());
        })
        .exceptionally(error -> null);
  }
}
