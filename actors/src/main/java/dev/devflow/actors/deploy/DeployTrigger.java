package dev.devflow.actors.deploy;

import dev.devflow.actors.feed.FeedHub;
import dev.devflow.actors.feed.PushFollower;
import dev.devflow.persistence.apps.AppEntry;
import dev.devflow.persistence.apps.AppStore;
import dev.devflow.persistence.feed.FeedStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Deploys pushes: each push to an app's branch becomes a release of that app (the push's id makes
 * a push handed over twice one release). Runs as a {@link PushFollower} singleton.
 */
public final class DeployTrigger implements PushFollower.Handler {

  private static final Duration ASK = Duration.ofSeconds(10);

  private final ClusterSharding sharding;
  private final AppStore store;
  private final Executor blocking;

  private DeployTrigger(ActorSystem<?> system, AppStore store, Executor blocking) {
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.blocking = blocking;
  }

  public static void init(ActorSystem<?> system, String role, FeedStore feed, FeedHub hub, AppStore store,
      Executor blocking) {
    PushFollower.init(system, "deploy-trigger", "deploy-trigger", role, feed, hub,
        new DeployTrigger(system, store, blocking), blocking);
  }

  @Override
  public CompletionStage<?> onPush(PushFollower.Push push) {
    if (push.deletesRef()) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.supplyAsync(() -> store.deploying(push.tenant(), push.repo()), blocking)
        .thenCompose(apps -> deploy(apps.stream().filter(a -> push.ref().equals("refs/heads/" + a.branch())).toList(),
            push));
  }

  private CompletableFuture<Void> deploy(List<AppEntry> apps, PushFollower.Push push) {
    return CompletableFuture.allOf(apps.stream()
        .map(a -> sharding.entityRefFor(App.ENTITY_KEY, App.entityId(a.tenant(), a.app()))
            .<Done>askWithStatus(reply -> new App.Deploy(push.after(), push.ref(), push.before(), push.id(), reply), ASK)
            .toCompletableFuture())
        .toArray(CompletableFuture[]::new));
  }
}
