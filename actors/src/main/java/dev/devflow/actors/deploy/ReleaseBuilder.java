package dev.devflow.actors.deploy;

import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.PipelineStarter;
import dev.devflow.actors.pipeline.RepoPipelines;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.runtime.AppManifest;
import dev.devflow.actors.runtime.BlobStore;
import dev.devflow.actors.runtime.ManifestException;
import dev.devflow.actors.runtime.Procfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Builds a release: reads the {@code Procfile} and {@code devflow.yml} at the commit, waits for the
 * push's CI pipelines when the app requires them, runs the build as a CI pipeline ({@link
 * BuildWorkflow}) and stores the packed workspace in the blob store. Failures the user can fix
 * complete with a {@link BuildFailure} naming the problem. Repeating a build (the app restarted
 * mid-way) finds the same pipeline again: its trigger key is the app and release.
 */
public final class ReleaseBuilder {

  /** One release to build. {@code before}: the push's old commit, null when not a push. */
  record Request(String tenant, String app, String repo, String ref, String before, String commit, long release,
      Boolean requireCi) {}

  record Result(String artifact, Map<String, String> processes, String healthPath, int healthTimeoutSeconds,
      Map<String, String> manifestEnv) {}

  private static final Duration POLL = Duration.ofSeconds(1);
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final Duration GIVE_UP = Duration.ofHours(2);
  private static final String ZERO = "0".repeat(40);

  private final ClusterSharding sharding;
  private final GitStorage git;
  private final PipelineStarter starter;
  private final BlobStore blobs;
  private final String runsOn;
  private final Executor blocking;

  public ReleaseBuilder(ActorSystem<?> system, GitStorage git, PipelineStarter starter, BlobStore blobs, String runsOn,
      Executor blocking) {
    this.sharding = ClusterSharding.get(system);
    this.git = git;
    this.starter = starter;
    this.blobs = blobs;
    this.runsOn = runsOn;
    this.blocking = blocking;
  }

  BlobStore blobs() {
    return blobs;
  }

  CompletionStage<Result> build(Request r, LongConsumer pipelineStarted) {
    return CompletableFuture.supplyAsync(() -> plan(r), blocking)
        .thenCompose(plan -> awaitCi(r).thenApply(v -> plan))
        .thenCompose(plan -> {
          Path artifact = blobs.incoming().resolve(r.tenant() + "-" + r.app() + "-" + r.release() + ".tar.gz");
          String text = BuildWorkflow.text(r.app(), r.release(), plan.manifest(), artifact, runsOn);
          return starter.generated(r.tenant(), r.repo(), r.ref(), r.commit(), "deploy", "app:" + r.app(),
                  "deploy:" + r.app() + ":" + r.release(), BuildWorkflow.PATH, text)
              .thenCompose(p -> {
                long number = p.info().number();
                pipelineStarted.accept(number);
                return awaitPipeline(r.tenant(), r.repo(), number, System.nanoTime() + GIVE_UP.toNanos());
              })
              .thenApplyAsync(p -> {
                if (!p.status().equals("succeeded")) {
                  throw new BuildFailure("the build (pipeline #" + p.info().number() + ") " + p.status()
                      + ": see its job log");
                }
                if (!Files.exists(artifact)) {
                  throw new BuildFailure("the build (pipeline #" + p.info().number() + ") produced no artifact");
                }
                try {
                  String hash = blobs.put(artifact);
                  return new Result(hash, plan.processes(), plan.manifest().healthPath(),
                      plan.manifest().healthTimeoutSeconds(), plan.manifest().env());
                } catch (IOException e) {
                  throw new IllegalStateException("cannot store the artifact of release " + r.release(), e);
                }
              }, blocking);
        });
  }

  /** The processes and manifest at the commit. */
  record Plan(Map<String, String> processes, AppManifest manifest) {}

  private Plan plan(Request r) {
    try (Repository repo = git.open(r.tenant(), r.repo())) {
      String procfile = file(repo, r.commit(), "Procfile");
      if (procfile == null) {
        throw new BuildFailure("no Procfile at " + shortId(r.commit()) + ": add one at the repository's root with a "
            + "web process, e.g. \"web: python3 app.py\"");
      }
      Map<String, String> processes = Procfile.parse(procfile);
      if (!processes.containsKey("web")) {
        throw new BuildFailure("the Procfile at " + shortId(r.commit()) + " has no web process (it has: "
            + String.join(", ", processes.keySet()) + "); the router sends requests to web");
      }
      String yml = file(repo, r.commit(), "devflow.yml");
      return new Plan(processes, yml == null ? AppManifest.DEFAULT : AppManifest.parse(yml));
    } catch (ManifestException e) {
      throw new BuildFailure(e.getMessage());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + r.tenant() + "/" + r.repo() + " at " + r.commit(), e);
    }
  }

  private static String file(Repository repo, String commit, String path) throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit c = walk.parseCommit(ObjectId.fromString(commit));
      try (TreeWalk tw = TreeWalk.forPath(repo, path, c.getTree())) {
        return tw == null ? null : new String(repo.open(tw.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
      }
    }
  }

  /**
   * When the push starts CI pipelines and the app requires CI (the default when there are any):
   * waits until all of them finished, and fails unless all succeeded.
   */
  private CompletionStage<Void> awaitCi(Request r) {
    if (Boolean.FALSE.equals(r.requireCi()) || r.before() == null) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.supplyAsync(() -> starter.pushPipelines(r.tenant(), r.repo(), r.ref(),
            r.before() == null ? ZERO : r.before(), r.commit()), blocking)
        .thenCompose(expected -> expected == 0 ? CompletableFuture.completedFuture(null)
            : awaitCiPipelines(r, expected, System.nanoTime() + GIVE_UP.toNanos()));
  }

  private CompletionStage<Void> awaitCiPipelines(Request r, int expected, long deadline) {
    return sharding.entityRefFor(RepoPipelines.ENTITY_KEY, r.tenant() + "/" + r.repo())
        .<RepoPipelines.Listing>ask(reply -> new RepoPipelines.ListRecent(100, reply), ASK)
        .thenCompose(listing -> {
          List<RepoPipelines.Entry> ours = listing.entries().stream()
              .filter(e -> e.sha().equals(r.commit()) && e.event().equals("push")).toList();
          if (ours.size() < expected) {
            return later(() -> awaitCiPipelines(r, expected, deadline), deadline, "CI pipelines to start");
          }
          CompletableFuture<?>[] gets = ours.stream().map(e -> pipeline(r.tenant(), r.repo(), e.number())
              .toCompletableFuture()).toArray(CompletableFuture[]::new);
          return CompletableFuture.allOf(gets).thenCompose(v -> {
            for (CompletableFuture<?> g : gets) {
              Pipeline.Summary s = (Pipeline.Summary) g.join();
              if (!isOver(s)) {
                return later(() -> awaitCiPipelines(r, expected, deadline), deadline, "CI pipelines to finish");
              }
            }
            for (CompletableFuture<?> g : gets) {
              Pipeline.Summary s = (Pipeline.Summary) g.join();
              if (!s.status().equals("succeeded")) {
                throw new BuildFailure("CI pipeline #" + s.info().number() + " (" + s.info().workflowName() + ") of "
                    + shortId(r.commit()) + " " + s.status() + "; the app deploys only commits whose CI succeeded");
              }
            }
            return CompletableFuture.completedFuture(null);
          });
        });
  }

  private CompletionStage<Pipeline.Summary> awaitPipeline(String tenant, String repo, long number, long deadline) {
    return pipeline(tenant, repo, number).thenCompose(s -> isOver(s) ? CompletableFuture.completedFuture(s)
        : later(() -> awaitPipeline(tenant, repo, number, deadline), deadline, "the build to finish"));
  }

  private CompletionStage<Pipeline.Summary> pipeline(String tenant, String repo, long number) {
    return sharding.entityRefFor(Pipeline.ENTITY_KEY, Pipeline.entityId(tenant, repo, number))
        .askWithStatus(Pipeline.Get::new, ASK);
  }

  private static boolean isOver(Pipeline.Summary s) {
    return s.status().equals("succeeded") || s.status().equals("failed") || s.status().equals("cancelled");
  }

  private <T> CompletionStage<T> later(java.util.function.Supplier<CompletionStage<T>> next, long deadline,
      String what) {
    if (System.nanoTime() > deadline) {
      throw new BuildFailure("gave up waiting for " + what + " after " + GIVE_UP.toHours() + " h");
    }
    return CompletableFuture.supplyAsync(() -> null,
            CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS, blocking))
        .thenCompose(v -> next.get());
  }

  static String shortId(String sha) {
    return sha.length() > 7 ? sha.substring(0, 7) : sha;
  }
}
