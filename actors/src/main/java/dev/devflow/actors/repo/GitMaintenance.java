package dev.devflow.actors.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repacks a repository after pushes (JGit's GC: one pack with a reachability bitmap, packed refs),
 * in the background on one thread per node. A push leaves its objects in the pack it arrived in,
 * without bitmaps; clones and fetches of a repacked repository count objects from the bitmap
 * instead of walking every commit and tree.
 *
 * <p>Pushes that arrive while a repository is being repacked cause one more run afterwards, never a
 * queue of runs. Thread-safe.
 */
public final class GitMaintenance implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GitMaintenance.class);

  private final GitStorage storage;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "devflow-git-gc");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
      });
  /** Repositories with a run queued; a push during a run puts its repository back. */
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  /** Runs queued or in progress. */
  private final AtomicInteger pending = new AtomicInteger();

  public GitMaintenance(GitStorage storage) {
    this.storage = storage;
  }

  /** Asks for a repack of {@code tenant/name} soon; coalesces with one already queued. */
  public void afterPush(String tenant, String name) {
    String id = tenant + "/" + name;
    if (queued.add(id)) {
      pending.incrementAndGet();
      worker.execute(() -> {
        try {
          queued.remove(id);
          gc(tenant, name);
        } finally {
          pending.decrementAndGet();
        }
      });
    }
  }

  /** Repacks queued or running (a metric; tests wait for 0 before checking repositories). */
  public int pending() {
    return pending.get();
  }

  private void gc(String tenant, String name) {
    if (!storage.exists(tenant, name) || !worthRepacking(storage.dir(tenant, name))) {
      return;
    }
    long start = System.nanoTime();
    try (Repository repo = storage.open(tenant, name); Git git = new Git(repo)) {
      git.gc().call();
      log.debug("repacked {}/{} in {} ms", tenant, name, (System.nanoTime() - start) / 1_000_000);
    } catch (Exception e) {
      log.warn("repacking {}/{} failed (it stays usable as it is): {}", tenant, name, e.toString());
    }
  }

  /**
   * Only a repository with more than one pack or with loose objects. Repacking one already packed
   * produces a pack with the same name, and rewriting a pack file in place under the feet of
   * readers makes them fail ("packfile does not match index").
   */
  private static boolean worthRepacking(Path gitDir) {
    Path objects = gitDir.resolve("objects");
    try (Stream<Path> packs = Files.list(objects.resolve("pack"));
        Stream<Path> loose = Files.list(objects)) {
      long packCount = packs.filter(p -> p.toString().endsWith(".pack")).count();
      boolean hasLoose = loose.anyMatch(p -> p.getFileName().toString().matches("[0-9a-f]{2}"));
      return packCount > 1 || hasLoose;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
