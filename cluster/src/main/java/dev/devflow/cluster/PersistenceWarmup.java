package dev.devflow.cluster;

import dev.devflow.persistence.Database;
import dev.devflow.persistence.JournalSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent.UnreachableMember;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a few real entities, read-only, so that this node is ready to take entities over. The
 * first recovery on a fresh JVM pays once for starting the journal and snapshot plugins, compiling
 * their queries and building the deserializers of each event class: measured 0.3-0.6 s per entity
 * instead of 2-50 ms, on the failover's critical path whenever a survivor had never recovered an
 * entity before (docs/benchmarks.md). One entity per type pays it here instead ({@link
 * JournalSample}); each event is also serialized again, which warms the write side of the same
 * serializers. Nothing is ever written.
 *
 * <p>It runs when a core node starts (before shards are rebalanced to it), and again whenever a
 * member becomes unreachable: its entities will start on the survivors some seconds later, once it
 * is downed, and a cluster started on an empty journal had nothing to replay at first.
 */
final class PersistenceWarmup {

  private static final Logger log = LoggerFactory.getLogger(PersistenceWarmup.class);
  /** Journal rows looked at to choose the entities, and the longest history worth replaying. */
  private static final int WINDOW = 10_000;
  private static final int MAX_EVENTS = 200;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** Numbers the replay actors: warm-ups may overlap a finished one's actors still stopping. */
  private static final AtomicLong REPLAYS = new AtomicLong();

  /** What one warm-up did. */
  record Result(int entities, long events, long millis) {}

  private interface Message {}

  private record Run(String why) implements Message {}

  private record Finished(String why, Result result, Throwable error) implements Message {}

  private PersistenceWarmup() {}

  /** Warms up now, and again each time a member becomes unreachable. */
  static void start(ActorSystem<?> system, Database db) {
    system.systemActorOf(watcher(db), "persistence-warmup", Props.empty());
  }

  private static Behavior<Message> watcher(Database db) {
    return Behaviors.setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(UnreachableMember.class, u -> new Run(u.member().address() + " unreachable")),
          UnreachableMember.class));
      ctx.getSelf().tell(new Run("node start"));
      return idle(ctx, db);
    });
  }

  private static Behavior<Message> idle(ActorContext<Message> ctx, Database db) {
    return Behaviors.receive(Message.class)
        .onMessage(Run.class, run -> {
          ctx.pipeToSelf(run(ctx.getSystem(), db, TIMEOUT), (r, e) -> new Finished(run.why(), r, e));
          return running(ctx, db);
        })
        .build();
  }

  /** One warm-up at a time: a member that becomes unreachable meanwhile is served by this one. */
  private static Behavior<Message> running(ActorContext<Message> ctx, Database db) {
    return Behaviors.receive(Message.class)
        .onMessage(Run.class, run -> Behaviors.same())
        .onMessage(Finished.class, f -> {
          if (f.error() != null) {
            log.warn("persistence warm-up ({}) failed; the first entities to start here will be slower: {}", f.why(),
                f.error().toString());
          } else {
            log.info("persistence warm-up ({}): {} events of {} entities replayed in {} ms", f.why(), f.result().events(),
                f.result().entities(), f.result().millis());
          }
          return idle(ctx, db);
        })
        .build();
  }

  /** One warm-up; completes when every replay has ended or {@code timeout} passed. */
  static CompletionStage<Result> run(ActorSystem<?> system, Database db, Duration timeout) {
    long started = System.nanoTime();
    return CompletableFuture.supplyAsync(() -> new JournalSample(db).perType(WINDOW, MAX_EVENTS),
            system.dispatchers().lookup(DispatcherSelector.blocking()))
        .thenCompose(ids -> {
          List<CompletableFuture<Long>> replays = new ArrayList<>();
          for (String id : ids) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            system.systemActorOf(Replay.create(id, done), "persistence-replay-" + REPLAYS.incrementAndGet(),
                Props.empty());
            replays.add(done.completeOnTimeout(0L, timeout.toMillis(), TimeUnit.MILLISECONDS));
          }
          return CompletableFuture.allOf(replays.toArray(CompletableFuture[]::new))
              .thenApply(v -> new Result(ids.size(), replays.stream().mapToLong(CompletableFuture::join).sum(),
                  (System.nanoTime() - started) / 1_000_000));
        });
  }

  /**
   * Recovers one persistence id with no behaviour of its own: every event and snapshot is read
   * and dropped, then the actor stops. Completes {@code done} with the number of events.
   */
  private static final class Replay extends EventSourcedBehavior<Replay.Stop, Object, Object> {

    enum Stop { INSTANCE }

    private final ActorContext<Stop> context;
    private final CompletableFuture<Long> done;
    private final Serialization serialization;
    private long events;

    static Behavior<Stop> create(String persistenceId, CompletableFuture<Long> done) {
      return Behaviors.setup(ctx -> new Replay(ctx, persistenceId, done));
    }

    private Replay(ActorContext<Stop> context, String persistenceId, CompletableFuture<Long> done) {
      super(PersistenceId.ofUniqueId(persistenceId));
      this.context = context;
      this.done = done;
      this.serialization = SerializationExtension.get(context.getSystem().classicSystem());
    }

    @Override
    public Object emptyState() {
      return Stop.INSTANCE; // any non-null value: the real entity's snapshot, if any, replaces it
    }

    @Override
    public CommandHandler<Stop, Object, Object> commandHandler() {
      return (state, stop) -> Effect().stop();
    }

    @Override
    public EventHandler<Object, Object> eventHandler() {
      return (state, event) -> {
        events++;
        serialization.serialize(event); // result unused: it is the serializer's first use that costs
        return state;
      };
    }

    @Override
    public SignalHandler<Object> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(RecoveryCompleted.instance(), state -> {
            done.complete(events);
            context.getSelf().tell(Stop.INSTANCE);
          })
          .onSignal(RecoveryFailed.class, (state, failed) -> done.complete(events))
          .build();
    }
  }
}
