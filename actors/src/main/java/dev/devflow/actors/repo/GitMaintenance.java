package dev.devflow.actors.repo;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

  public GitMaintenance(GitStorage storage) {
    this.storage = storage;
  }

  /** Asks for a repack of {@code tenant/name} soon; coalesces with one already queued. */
  public void afterPush(String tenant, String name) {
    String id = tenant + "/" + name;
    if (queued.add(id)) {
      worker.execute(() -> {
        queued.remove(id);
        gc(tenant, name);
      });
    }
  }

  private void gc(String tenant, String name) {
    if (!storage.exists(tenant, name)) {
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

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
