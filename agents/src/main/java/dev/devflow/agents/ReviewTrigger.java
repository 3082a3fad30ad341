package dev.devflow.agents;

import dev.devflow.actors.feed.FeedHub;
import dev.devflow.actors.feed.PushFollower;
import dev.devflow.persistence.agents.AgentEntry;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.feed.FeedStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Gives each push to the agents watching its repository as a review task (the push's id is the
 * task's, so a push handed over twice is one task). Runs as a {@link PushFollower} singleton.
 */
public final class ReviewTrigger implements PushFollower.Handler {

  private static final Duration ASK = Duration.ofSeconds(10);

  private final ClusterSharding sharding;
  private final AgentStore store;
  private final Executor blocking;

  private ReviewTrigger(ActorSystem<?> system, AgentStore store, Executor blocking) {
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.blocking = blocking;
  }

  public static void init(ActorSystem<?> system, String role, FeedStore feed, FeedHub hub, AgentStore store,
      Executor blocking) {
    PushFollower.init(system, "review-trigger", "agent-trigger", role, feed, hub,
        new ReviewTrigger(system, store, blocking), blocking);
  }

  @Override
  public CompletionStage<?> onPush(PushFollower.Push push) {
    if (push.deletesRef()) {
      return CompletableFuture.completedFuture(null);
    }
    ReviewTask task = new ReviewTask(push.id(), push.repo(), push.ref(), push.before(), push.after(), push.at());
    return CompletableFuture.supplyAsync(() -> store.watching(push.tenant(), push.repo()), blocking)
        .thenCompose(agents -> all(agents, task));
  }

  private CompletableFuture<Void> all(List<AgentEntry> agents, ReviewTask task) {
    return CompletableFuture.allOf(agents.stream()
        .map(a -> sharding.entityRefFor(Agent.ENTITY_KEY, Agent.entityId(a.tenant(), a.name()))
            .<org.apache.pekko.Done>askWithStatus(reply -> new Agent.StartTask(task, reply), ASK).toCompletableFuture())
        .toArray(CompletableFuture[]::new));
  }
}
