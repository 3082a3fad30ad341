package dev.devflow.actors.feed;

import dev.devflow.persistence.feed.FeedDraft;
import dev.devflow.persistence.feed.FeedRecord;
import dev.devflow.persistence.feed.FeedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Writes this node's feed entries that come from no journal row (app output, {@link
 * FeedDraft#unsourced}) and hands the stored entries to the hub of every node, as the projection
 * does with its own.
 *
 * <p>One write at a time; what arrives meanwhile goes into the next one. The output of an app must
 * never wait for the database, so a sender is never slowed down: past {@link #MAX_PENDING} waiting
 * drafts (a slow or unavailable database) new ones are dropped, and a failed write is dropped too.
 * Both are counted in the node's log; the instance's log in the log store is the complete record.
 */
public final class FeedWriter {

  public sealed interface Command {}

  /** An entry to write (local only: sent by this node's runtime). */
  public record Append(FeedDraft draft) implements Command {}

  private record Written(int drafts, Throwable error) implements Command {}

  private record HubsChanged(Set<ActorRef<FeedHub.Command>> hubs) implements Command {}

  static final int MAX_PENDING = 10_000;

  private final ActorContext<Command> ctx;
  private final FeedStore store;
  private final Executor blocking;
  private Set<ActorRef<FeedHub.Command>> hubs = Set.of();
  private List<FeedDraft> pending = new ArrayList<>();
  private boolean writing;
  private long dropped;

  private FeedWriter(ActorContext<Command> ctx, FeedStore store, Executor blocking) {
    this.ctx = ctx;
    this.store = store;
    this.blocking = blocking;
  }

  public static Behavior<Command> create(FeedStore store, Executor blocking) {
    return Behaviors.setup(ctx -> {
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class,
          l -> new HubsChanged(l.getServiceInstances(FeedHub.KEY)));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(FeedHub.KEY, listings));
      return new FeedWriter(ctx, store, blocking).behavior();
    });
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Append.class, a -> {
          if (pending.size() >= MAX_PENDING) {
            dropped++;
          } else {
            pending.add(a.draft());
            write();
          }
          return Behaviors.same();
        })
        .onMessage(Written.class, this::onWritten)
        .onMessage(HubsChanged.class, h -> {
          hubs = h.hubs();
          return Behaviors.same();
        })
        .build();
  }

  private void write() {
    if (writing || pending.isEmpty()) {
      return;
    }
    writing = true;
    List<FeedDraft> batch = pending;
    pending = new ArrayList<>();
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> store.appendUnsourced(batch), blocking), (stored, e) -> {
      // Hubs may get these before or after the projection's entries of the same tenant: a client
      // stream that sees an id ahead of the next reads the gap from the table (FeedSubscription).
      if (e == null && !stored.isEmpty()) {
        FeedHub.Publish publish = new FeedHub.Publish(stored);
        hubs.forEach(h -> h.tell(publish));
      }
      return new Written(batch.size(), e);
    });
  }

  private Behavior<Command> onWritten(Written w) {
    writing = false;
    if (w.error() != null) {
      dropped += w.drafts();
      ctx.getLog().warn("cannot write {} app output entries to the feed; dropped", w.drafts(), w.error());
    } else if (dropped > 0) {
      ctx.getLog().warn("{} app output entries were dropped while the feed could not keep up", dropped);
      dropped = 0;
    }
    write();
    return Behaviors.same();
  }
}
