package dev.devflow.actors.feed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Hands every push to a handler: follows {@code repo.pushed} entries of every tenant's feed (one
 * instance per cluster and handler, a cluster singleton) with its own offset. The offset is stored
 * after the handler finished a whole batch, so a push can reach the handler twice (after a crash)
 * but is never missed: handlers are idempotent by {@link Push#id()}. Pipelines start this way
 * (each push starts its pipelines once), and AI agents get their review tasks.
 *
 * <p>Woken by this node's feed hub when a push arrives, with a slow poll as a safety net. A push
 * the handler keeps failing on (its repository was deleted meanwhile) is skipped after {@link
 * #ATTEMPTS} tries with an error in the log; one that timed out (shards moving after a node died)
 * is tried again until it is handled.
 */
public final class PushFollower {

  /** A branch or tag update; {@code before}/{@code after} are 40 zeros for a created/deleted ref. */
  public record Push(String id, String tenant, String repo, String ref, String before, String after,
      java.time.Instant at) {

    /** The push deleted the ref: there is nothing to build or review. */
    public boolean deletesRef() {
      return after.equals(ZERO);
    }
  }

  /** Acts on one push; completes when done. */
  public interface Handler {
    java.util.concurrent.CompletionStage<?> onPush(Push push);
  }

  static final List<String> TYPES = List.of("repo.pushed");
  static final int ATTEMPTS = 3;
  private static final Duration POLL = Duration.ofSeconds(2);
  private static final int BATCH = 50;
  private static final String ZERO = "0".repeat(40);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(PushFollower.class);

  sealed interface Command {}

  private record Wake() implements Command {}

  private record Done(long offset, boolean more) implements Command {}

  private record Failed(Throwable error) implements Command {}

  private final ActorContext<Command> ctx;
  private final FeedStore store;
  private final String name;
  private final String offsetName;
  private final Handler handler;
  private final Executor blocking;
  private long offset = -1;
  private boolean busy;
  private boolean again;
  private int failures;

  private PushFollower(ActorContext<Command> ctx, String name, String offsetName, FeedStore store, Handler handler,
      Executor blocking) {
    this.ctx = ctx;
    this.name = name;
    this.offsetName = offsetName;
    this.store = store;
    this.handler = handler;
    this.blocking = blocking;
  }

  /**
   * Starts the singleton {@code name} on nodes of {@code role}; {@code offsetName} keys its stored
   * offset (a persisted contract: renaming it replays every push).
   */
  public static void init(ActorSystem<?> system, String name, String offsetName, String role, FeedStore store,
      FeedHub hub, Handler handler, Executor blocking) {
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
        return new PushFollower(ctx, name, offsetName, store, handler, blocking).behavior(hub, listener);
      });
    })).onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2));
    ClusterSingleton.get(system).init(SingletonActor.of(behavior, name)
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
          log.warn("{}: batch after journal ordering {} failed ({} of {}): {}", name, offset, failures,
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
        .supplyAsync(() -> from >= 0 ? from : store.offset(offsetName).orElse(0L), blocking).thenCompose(start -> CompletableFuture
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
                  store.saveOffset(offsetName, last);
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
      log.error("{}: unreadable repo.pushed entry {}: {}", name, r.ordering(), e.toString());
      return CompletableFuture.completedFuture(null);
    }
    String tenant = r.record().tenant();
    String repo = data.path("repo").asText();
    Push push = new Push("push:" + r.ordering() + ":" + r.index(), tenant, repo, data.path("ref").asText(),
        data.path("before").asText(ZERO), data.path("after").asText(ZERO), r.record().at());
    CompletableFuture<?> f = handler.onPush(push).toCompletableFuture();
    return skipFailures ? f.exceptionally(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
        // The cluster is busy or moving shards (a node died): never a reason to drop a push.
        throw new java.util.concurrent.CompletionException(cause);
      }
      log.error("{}: push to {}/{} {} skipped after {} attempts: {}", name, tenant, repo, push.after(), ATTEMPTS,
          e.toString());
      return null;
    }) : f;
  }
}
