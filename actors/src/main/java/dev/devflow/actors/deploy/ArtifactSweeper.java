package dev.devflow.actors.deploy;

import dev.devflow.actors.runtime.BlobStore;
import dev.devflow.persistence.apps.AppStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * Deletes release artifacts no app needs any more (see {@link AppArtifacts}), one cluster-wide
 * sweep every {@code interval} (a singleton on a {@code core} node), and files a dead writer left
 * in the store's incoming directory.
 *
 * <p>Only blobs stored longer than {@code minAge} ago are deleted: a build stores its artifact a
 * moment before its app records it, and storing bytes that already exist refreshes the blob's
 * time ({@link BlobStore#put}), so an artifact that a new build shares with a dropped one is safe
 * too.
 */
public final class ArtifactSweeper {

  /** What one sweep did. */
  public record Sweep(int deleted, long bytes, int kept, int incoming) {}

  private record Tick() {}

  private ArtifactSweeper() {}

  public static void init(ActorSystem<?> system, AppStore store, BlobStore blobs, Executor blocking,
      Duration interval, Duration minAge) {
    Behavior<Tick> behavior = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), interval);
      return Behaviors.receiveMessage(t -> {
        CompletableFuture.supplyAsync(() -> sweep(store, blobs, minAge, Instant.now()), blocking)
            .whenComplete((sweep, e) -> {
              if (e != null) {
                ctx.getSystem().log().warn("artifact sweep failed: {}", e.toString());
              } else if (sweep.deleted() > 0 || sweep.incoming() > 0) {
                ctx.getSystem().log().info("artifact sweep: deleted {} artifacts ({} bytes) and {} abandoned "
                    + "uploads; {} kept", sweep.deleted(), sweep.bytes(), sweep.incoming(), sweep.kept());
              }
            });
        return Behaviors.same();
      });
    }));
    ClusterSingleton.get(system).init(SingletonActor.of(
            Behaviors.supervise(behavior).onFailure(SupervisorStrategy.restart()), "artifact-sweeper")
        .withSettings(ClusterSingletonSettings.create(system).withRole("core")));
  }

  /** One sweep. Blocking: reads the database and walks the store. */
  public static Sweep sweep(AppStore store, BlobStore blobs, Duration minAge, Instant now) {
    Instant before = now.minus(minAge);
    try {
      // Needed set first, blobs second: a blob stored in between is younger than minAge anyway.
      Set<String> needed = store.artifactsInUse();
      int deleted = 0;
      int kept = 0;
      long bytes = 0;
      for (BlobStore.StoredBlob b : blobs.list()) {
        if (needed.contains(b.hash()) || !b.stored().isBefore(before)) {
          kept++;
        } else if (blobs.deleteIfStoredBefore(b.hash(), before)) { // unless a build stored it again meanwhile
          deleted++;
          bytes += b.bytes();
        }
      }
      return new Sweep(deleted, bytes, kept, blobs.deleteIncomingBefore(before));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
