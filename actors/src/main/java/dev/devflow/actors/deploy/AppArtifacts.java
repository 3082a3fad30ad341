package dev.devflow.actors.deploy;

import dev.devflow.persistence.apps.AppStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Which release artifacts an app still needs: those of its newest {@code keepBuilds} distinct
 * builds, and of whatever is live or on its way live. The App entity records that set in the
 * database after each change ({@link AppStore#keepArtifacts}); the {@link ArtifactSweeper} deletes
 * blobs that no app needs. A release whose artifact fell out of the set cannot be rolled back to.
 */
public final class AppArtifacts {

  private final AppStore store;
  private final Executor blocking;
  private final int keepBuilds;

  public AppArtifacts(AppStore store, Executor blocking, int keepBuilds) {
    this.store = store;
    this.blocking = blocking;
    this.keepBuilds = keepBuilds;
  }

  int keepBuilds() {
    return keepBuilds;
  }

  /** Records the set the app needs (empty once it is deleted). */
  CompletionStage<Void> record(String tenant, String app, Set<String> hashes) {
    return CompletableFuture.runAsync(() -> store.keepArtifacts(tenant, app, hashes), blocking);
  }

  /** The artifacts the app's releases still need; see the class comment. */
  static Set<String> needed(List<Release> releases, long live, long deploying, int keepBuilds) {
    Set<String> out = new LinkedHashSet<>();
    List<Release> newestFirst = new ArrayList<>(releases);
    newestFirst.sort(Comparator.comparingLong(Release::number).reversed());
    Set<String> builds = new LinkedHashSet<>();
    for (Release r : newestFirst) {
      if (r.isBuilt() && builds.size() < keepBuilds) {
        builds.add(r.artifact()); // releases that copy a build (config change, rollback) count once
      }
      if (r.isBuilt() && (r.number() == live || r.number() == deploying)) {
        out.add(r.artifact());
      }
    }
    out.addAll(builds);
    return out;
  }
}
