package dev.devflow.actors.deploy;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * This node's view of every app's endpoints: updated by whoever follows the apps ({@link #update},
 * {@link #remove}), read by the router on every request.
 *
 * <p>On a miss the router calls {@link #load}, which asks the loader (when one is set, e.g. the
 * app's entity) and stores its answer. Concurrent loads of one app share one call to the loader. A
 * "no such app" answer is not remembered: the next request asks again. A load that races a
 * {@link #remove} may store its answer after the removal; the owner's next update or removal wins.
 *
 * <p>Thread-safe. Reads ({@link #get}, {@link #next}) take no lock: a map lookup and one atomic
 * increment for the round robin. Writes of one app are serialized by the map.
 */
public final class RouteTable {

  /** An app's endpoints with its own round-robin cursor. */
  private record Entry(AppEndpoints endpoints, AtomicInteger cursor) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<Optional<AppEndpoints>>> loading =
      new ConcurrentHashMap<>();
  private volatile BiFunction<String, String, CompletionStage<Optional<AppEndpoints>>> loader;

  /** Stores {@code endpoints} unless the entry held has a higher version. */
  public void update(String tenant, String app, AppEndpoints endpoints) {
    entries.compute(key(tenant, app), (k, held) -> {
      if (held == null) {
        return new Entry(endpoints, new AtomicInteger());
      }
      if (endpoints.version() < held.endpoints.version()) {
        return held;
      }
      // Keep the cursor: the round robin goes on where it was instead of restarting at the first.
      return new Entry(endpoints, held.cursor);
    });
  }

  public void remove(String tenant, String app) {
    entries.remove(key(tenant, app));
  }

  public Optional<AppEndpoints> get(String tenant, String app) {
    Entry e = entries.get(key(tenant, app));
    return e == null ? Optional.empty() : Optional.of(e.endpoints);
  }

  /** Round robin over the healthy endpoints; empty when the app is unknown or has none. */
  public Optional<Endpoint> next(String tenant, String app) {
    Entry e = entries.get(key(tenant, app));
    if (e == null) {
      return Optional.empty();
    }
    List<Endpoint> healthy = e.endpoints.healthy();
    if (healthy.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(healthy.get(Math.floorMod(e.cursor.getAndIncrement(), healthy.size())));
  }

  /** Called when the router finds no entry: lets the owner load it. Optional; default none. */
  public void setLoader(BiFunction<String, String, CompletionStage<Optional<AppEndpoints>>> loader) {
    this.loader = loader;
  }

  /** {@link #get}, or on a miss the loader's answer (stored); empty without a loader. */
  public CompletionStage<Optional<AppEndpoints>> load(String tenant, String app) {
    Optional<AppEndpoints> held = get(tenant, app);
    var l = loader;
    if (held.isPresent() || l == null) {
      return CompletableFuture.completedFuture(held);
    }
    String key = key(tenant, app);
    CompletableFuture<Optional<AppEndpoints>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<AppEndpoints>> running = loading.putIfAbsent(key, mine);
    if (running != null) {
      return running;
    }
    CompletionStage<Optional<AppEndpoints>> answer;
    try {
      answer = l.apply(tenant, app);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((loaded, error) -> {
      loading.remove(key, mine);
      if (error != null) {
        mine.completeExceptionally(error);
        return;
      }
      loaded.ifPresent(endpoints -> update(tenant, app, endpoints));
      // An update that arrived while loading may be newer than the loader's answer.
      Optional<AppEndpoints> now = get(tenant, app);
      mine.complete(now.isPresent() ? now : loaded);
    });
    return mine;
  }

  private static String key(String tenant, String app) {
    return tenant + "/" + app;
  }
}
