package dev.devflow.actors.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.feed.FeedHub;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.feed.SourcedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts pipelines for pushes: follows {@code repo.pushed} entries of every tenant's feed (one
 * instance per cluster, a singleton on the core role) with its own offset, and hands each push to
 * the {@link PipelineStarter}. The offset is stored after the pipelines of a batch exist, and a push
 * started twice (after a crash) gets the same pipeline numbers back: each push starts its
 * pipelines exactly once.
 *
 * <p>Woken by this node's feed hub when a push arrives, with a slow poll as a safety net. A push
 * that cannot be started (its repository was deleted meanwhile) is skipped after {@link
 * #ATTEMPTS} tries with an error in the log; one that timed out (shards moving after a node died)
 * is tried again until it starts.
 */
public final class PipelineTrigger {

  static final String OFFSET = "ci-trigger";
  static final List<String> TYPES = List.of("repo.pushed");
  static final int ATTEMPTS = 3;
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final int BATCH = 50;
  private static final String ZERO = "0".repeat(40);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(PipelineTrigger.class);

  sealed interface Command {}

  private record Wake() implements Command {}

  private record Done(long offset, boolean more) implements Command {}

  private record Failed(Throwable error) implements Command {}

  private final ActorContext<Command> ctx;
  private final FeedStore store;
  private final PipelineStarter starter;
  private final Executor blocking;
  private long offset = -1;
  private boolean busy;
  private boolean again;
  private int failures;

  private PipelineTrigger(ActorContext<Command> ctx, FeedStore store, PipelineStarter starter, Executor blocking) {
    this.ctx = ctx;
    this.store = store;
    this.starter = starter;
    this.blocking = blocking;
  }

  public static void init(ActorSystem<?> system, String role, FeedStore store, FeedHub hub, PipelineStarter starter,
      Executor blocking) {
    Behavior<Command> behavior = Behaviors.supervise(Behaviors.<Command>setup(ctx -> {
      Consumer<List<dev.devflow.persistence.feed.FeedRecord>> listener = batch -> {
        if (batch.stream().anyMatch(r -> TYPES.contains(r.type()))) {
          ctx.getSelf().tell(new Wake());
        }
      };
      hub.addListener(listener);
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(new Wake(), POLL);
        ctx.getSelf().tell(new Wake());
        return new PipelineTrigger(ctx, store, starter, blocking).behavior(hub, listener);
      });
    })).onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2));
    ClusterSingleton.get(system).init(SingletonActor.of(behavior, "pipeline-trigger")
        .withSettings(org.apache.pekko.cluster.typed.ClusterSingletonSettings.create(system).withRole(role)));
  }

  private Behavior<Command> behavior(FeedHub hub, Consumer<List<dev.devflow.persistence.feed.FeedRecord>> listener) {
    return Behaviors.receive(Command.class)
        .onMessage(Wake.class, w -> {
          if (busy) {
            again = true;
          } else {
            run();
          }
          return Behaviors.same();
        })
        .onMessage(Done.class, d -> {
          busy = false;
          failures = 0;
          offset = d.offset();
          if (d.more() || again) {
            again = false;
            run();
          }
          return Behaviors.same();
        })
        .onMessage(Failed.class, f -> {
          busy = false;
          failures++;
          log.warn("pipeline trigger: batch after journal ordering {} failed ({} of {}): {}", offset, failures,
              ATTEMPTS, f.error().toString());
          return Behaviors.same();
        })
        .onSignal(PostStop.class, s -> {
          hub.removeListener(listener);
          return Behaviors.same();
        })
        .build();
  }

  private void run() {
    busy = true;
    boolean skipFailures = failures >= ATTEMPTS;
    long from = offset;
    CompletableFuture<Done> work = CompletableFuture
        .supplyAsync(() -> from >= 0 ? from : store.offset(OFFSET).orElse(0L), blocking).thenCompose(start -> CompletableFuture
        .supplyAsync(() -> store.afterSource(TYPES, start, BATCH), blocking)
        .thenCompose(batch -> {
          List<CompletableFuture<?>> started = new ArrayList<>();
          for (SourcedRecord r : batch) {
            started.add(startOne(r, skipFailures));
          }
          long last = batch.isEmpty() ? start : batch.get(batch.size() - 1).ordering();
          return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
              .thenApplyAsync(v -> {
                if (last > start) {
                  store.saveOffset(OFFSET, last);
                }
                return new Done(last, !batch.isEmpty());
              }, blocking);
        }));
    ctx.pipeToSelf(work, (done, error) -> error == null ? done : new Failed(error));
  }

  private CompletableFuture<?> startOne(SourcedRecord r, boolean skipFailures) {
    JsonNode data;
    try {
      data = JSON.readTree(r.record().data());
    } catch (java.io.IOException e) {
      log.error("pipeline trigger: unreadable repo.pushed entry {}: {}", r.ordering(), e.toString());
      return CompletableFuture.completedFuture(null);
    }
    String after = data.path("after").asText(ZERO);
    if (after.equals(ZERO)) {
      return CompletableFuture.completedFuture(null);
    }
    String tenant = r.record().tenant();
    String repo = data.path("repo").asText();
    CompletableFuture<?> f = starter.onPush(tenant, repo, data.path("ref").asText(), data.path("before").asText(ZERO),
        after, tenant, "push:" + r.ordering() + ":" + r.index()).toCompletableFuture();
    return skipFailures ? f.exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
        // The cluster is busy or moving shards (a node died): never a reason to drop a push.
        throw new java.util.concurrent.CompletionException(cause);
      }
      log.error("pipeline trigger: push to {}/{} {} skipped after {} attempts: {}", tenant, repo, after, ATTEMPTS,
          e.toString());
      return null;
    }) : f;
  }
}
