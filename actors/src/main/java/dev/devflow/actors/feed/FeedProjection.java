package dev.devflow.actors.feed;

import dev.devflow.persistence.DatabaseSettings;
import dev.devflow.persistence.feed.FeedDraft;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.feed.JournalListener;
import dev.devflow.persistence.feed.JournalRow;
import dev.devflow.persistence.feed.JournalTail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Projects the event journal into the per-tenant feed (one instance per cluster, a cluster
 * singleton) and hands each stored batch to every node's {@link FeedHub}.
 *
 * <p>It reads journal rows in {@code ordering} order after its stored offset and writes the feed
 * entries and the new offset in one transaction ({@link FeedStore#append}): exactly once, whatever
 * crashes. It is woken by PostgreSQL's NOTIFY when journal rows commit ({@link JournalListener}),
 * so live entries wait for no poll interval; a slow timer only covers lost notifications. It never
 * steps over a missing ordering number while the transaction that drew it may still commit
 * ({@link JournalTail#mayStillAppear}).
 *
 * <p>One batch runs at a time, on the blocking dispatcher; wake-ups during a batch are coalesced.
 */
public final class FeedProjection {

  static final String NAME = "tenant-feed";

  private static final Logger log = LoggerFactory.getLogger(FeedProjection.class);

  /** Tuning: rows per batch, how soon to look again at a gap, the safety poll. */
  public record Settings(int batchSize, Duration gapRecheck, Duration idlePoll) {}

  /**
   * A gap still open after this long is stepped over with a warning: a transaction that holds a
   * journal number this long is not a journal write (pekko-persistence-jdbc commits at once), and
   * one stuck session must not stop every tenant's feed.
   */
  static final Duration GAP_GIVE_UP = Duration.ofSeconds(10);

  sealed interface Command {}

  private record Wake() implements Command {}

  private record HubsChanged(Set<ActorRef<FeedHub.Command>> hubs) implements Command {}

  private record Done(Outcome outcome) implements Command {}

  private record Failed(Throwable error) implements Command {}

  /** A batch's result: the new offset, what was stored, and whether to go on at once. */
  private record Outcome(long offset, List<FeedRecord> stored, boolean more, boolean waitingOnGap) {}

  /** Starts the singleton on this node's side (call once per node). */
  public static void init(ActorSystem<?> system, DatabaseSettings dbSettings, JournalTail tail, FeedStore store,
      Executor blocking, Settings settings, List<FeedSource> sources) {
    Behavior<Command> behavior = Behaviors.supervise(Behaviors.<Command>setup(ctx ->
            new FeedProjection(ctx, tail, store, blocking, settings, sources).start(dbSettings)))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    ClusterSingleton.get(system).init(SingletonActor.of(behavior, "feed-projection"));
  }

  private final ActorContext<Command> ctx;
  private final JournalTail tail;
  private final FeedStore store;
  private final Executor blocking;
  private final Settings settings;
  private final Map<String, FeedSource> sources;
  private final List<String> entityTypes;
  private final Serialization serialization;
  private Set<ActorRef<FeedHub.Command>> hubs = Set.of();
  /**
   * Batches stored before the receptionist named any hub. Every node runs a hub, so an empty
   * list only means it has not arrived yet (the first moments after this singleton started); they
   * go out with the first list instead of to nobody.
   */
  private final List<FeedRecord> unsent = new ArrayList<>();
  private long offset = -1;
  private boolean running;
  private boolean wakeAgain;
  private volatile long gapSince;

  private FeedProjection(ActorContext<Command> ctx, JournalTail tail, FeedStore store, Executor blocking, Settings settings,
      List<FeedSource> sources) {
    this.ctx = ctx;
    this.tail = tail;
    this.store = store;
    this.blocking = blocking;
    this.settings = settings;
    this.sources = sources.stream().collect(java.util.stream.Collectors.toMap(FeedSource::entityType, f -> f));
    List<String> types = new ArrayList<>(FeedProjectionHandler.ENTITY_TYPES);
    types.addAll(this.sources.keySet());
    this.entityTypes = List.copyOf(types);
    this.serialization = SerializationExtension.get(ctx.getSystem());
  }

  private Behavior<Command> start(DatabaseSettings dbSettings) {
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class,
        l -> new HubsChanged(l.getServiceInstances(FeedHub.KEY)));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(FeedHub.KEY, listings));
    ActorRef<Command> self = ctx.getSelf();
    JournalListener listener = JournalListener.start(dbSettings, () -> self.tell(new Wake()));
    return Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay("poll", new Wake(), settings.idlePoll());
      return Behaviors.receive(Command.class)
          .onMessage(Wake.class, w -> onWake())
          .onMessage(HubsChanged.class, h -> {
            hubs = h.hubs();
            if (!hubs.isEmpty() && !unsent.isEmpty()) {
              FeedHub.Publish publish = new FeedHub.Publish(List.copyOf(unsent));
              hubs.forEach(hub -> hub.tell(publish));
              unsent.clear();
            }
            return Behaviors.same();
          })
          .onMessage(Done.class, d -> onDone(d.outcome(), timers))
          .onMessage(Failed.class, f -> {
            throw new IllegalStateException("feed projection batch failed", f.error());
          })
          .onSignal(PostStop.class, s -> {
            listener.close();
            return Behaviors.same();
          })
          .build();
    });
  }

  private Behavior<Command> onWake() {
    if (running) {
      wakeAgain = true;
      return Behaviors.same();
    }
    running = true;
    wakeAgain = false;
    long from = offset;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> batch(from), blocking),
        (outcome, error) -> error == null ? new Done(outcome) : new Failed(error));
    return Behaviors.same();
  }

  private Behavior<Command> onDone(Outcome outcome, TimerScheduler<Command> timers) {
    running = false;
    offset = outcome.offset();
    if (!outcome.stored().isEmpty()) {
      if (hubs.isEmpty()) {
        // Bounded: past this, hubs and their listeners find the rest by their own safety polls.
        if (unsent.size() < settings.batchSize() * 4) {
          unsent.addAll(outcome.stored());
        }
      } else {
        FeedHub.Publish publish = new FeedHub.Publish(outcome.stored());
        hubs.forEach(h -> h.tell(publish));
      }
    }
    if (outcome.more() || wakeAgain) {
      ctx.getSelf().tell(new Wake());
    } else if (outcome.waitingOnGap()) {
      timers.startSingleTimer("gap", new Wake(), settings.gapRecheck());
    }
    return Behaviors.same();
  }

  /** Runs on the blocking dispatcher. {@code from} is -1 before the offset has been read. */
  private Outcome batch(long from) {
    long start = from >= 0 ? from : store.offset(NAME).orElse(0L);
    JournalTail.Batch batch = tail.after(start, settings.batchSize(), entityTypes);
    List<JournalRow> rows = batch.rows();
    if (rows.isEmpty()) {
      return new Outcome(start, List.of(), false, false);
    }
    long expected = start + 1;
    if (rows.get(0).ordering() != expected
        && tail.mayStillAppear(start, rows.get(0).ordering(), batch.readAt())) {
      long now = System.nanoTime();
      if (gapSince == 0) {
        gapSince = now;
      }
      if (now - gapSince < GAP_GIVE_UP.toNanos()) {
        return new Outcome(start, List.of(), false, true);
      }
      log.warn("feed: journal rows after {} missing for {} s while old transactions stay open; moving on",
          start, GAP_GIVE_UP.toSeconds());
    }
    gapSince = 0;
    // The first row is next (or the gap before it is gone for good); stop at the next gap.
    List<FeedDraft> drafts = new ArrayList<>();
    long last = start;
    for (JournalRow row : rows) {
      if (last != start && row.ordering() != last + 1) {
        break;
      }
      drafts.addAll(draftsOf(row));
      last = row.ordering();
    }
    boolean more = rows.size() == settings.batchSize() || last != rows.get(rows.size() - 1).ordering();
    try {
      List<FeedRecord> stored = store.append(NAME, start, last, drafts);
      return new Outcome(last, stored, more, false);
    } catch (FeedStore.OffsetMovedException e) {
      log.warn("{}; reading it again", e.getMessage());
      return new Outcome(-1, List.of(), true, false);
    }
  }

  private List<FeedDraft> draftsOf(JournalRow row) {
    if (row.payload() == null || row.deleted()) {
      return List.of();
    }
    try {
      Object event = serialization.deserialize(row.payload(), row.serializerId(), row.manifest()).get();
      String id = row.persistenceId();
      FeedSource source = sources.get(id.substring(0, id.indexOf('|')));
      return source != null
          ? source.drafts(row.ordering(), id.substring(id.indexOf('|') + 1), event)
          : FeedProjectionHandler.drafts(row.ordering(), id, event);
    } catch (Exception e) {
      // One unreadable event must not stop every tenant's feed; it is logged with its position.
      log.error("feed: cannot read journal row {} of {}: {}", row.ordering(), row.persistenceId(), e.toString());
      return List.of();
    }
  }
}
