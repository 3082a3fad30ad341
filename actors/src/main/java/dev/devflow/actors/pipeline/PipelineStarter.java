package dev.devflow.actors.pipeline;

import dev.devflow.actors.Rejection;
import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.ci.workflow.WorkflowException;
import dev.devflow.actors.ci.workflow.WorkflowParser;
import dev.devflow.actors.repo.GitStorage;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.eclipse.jgit.lib.Repository;

/**
 * Starts pipelines: for a push, one per workflow whose {@code on.push} filters match (a workflow
 * that does not parse still gets a pipeline, failed, showing why); for a manual run, the workflow
 * with {@code workflow_dispatch} that was asked for. Each pipeline gets its number from {@link
 * RepoPipelines} under a trigger key, so starting the same push twice creates nothing new.
 *
 * <p>Thread-safe; git reads run on {@code blocking}.
 */
public final class PipelineStarter {

  private static final Duration ASK = Duration.ofSeconds(10);

  private final ClusterSharding sharding;
  private final GitStorage git;
  private final Executor blocking;

  public PipelineStarter(ActorSystem<?> system, GitStorage git, Executor blocking) {
    this.sharding = ClusterSharding.get(system);
    this.git = git;
    this.blocking = blocking;
  }

  /** A candidate read from git: the file, and its workflow or why it does not parse. */
  private record Candidate(WorkflowFiles.File file, Workflow workflow, WorkflowException error) {}

  public CompletionStage<List<Pipeline.Summary>> onPush(String tenant, String repo, String ref, String before,
      String after, String actor, String triggerKey) {
    return CompletableFuture.supplyAsync(() -> {
      try (Repository r = git.open(tenant, repo)) {
        List<String> changed = WorkflowFiles.changedPaths(r, before, after);
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : candidates(r, after)) {
          if (c.error() != null || (c.workflow().push() != null && c.workflow().push().matches(ref, changed))) {
            out.add(c);
          }
        }
        return out;
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the workflows of " + tenant + "/" + repo + " at " + after, e);
      }
    }, blocking).thenCompose(candidates -> {
      List<CompletableFuture<Pipeline.Summary>> started = new ArrayList<>();
      for (Candidate c : candidates) {
        started.add(start(tenant, repo, ref, after, before, "push", actor, triggerKey + ":" + c.file().path(), c)
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
          .thenApply(v -> started.stream().map(CompletableFuture::join).toList());
    });
  }

  /**
   * A manual run ({@code workflow_dispatch}) at {@code sha}. {@code file}: the workflow's path or
   * file name; null when the commit has exactly one dispatchable workflow.
   */
  public CompletionStage<Pipeline.Summary> manual(String tenant, String repo, String ref, String sha, String actor,
      String file) {
    return CompletableFuture.supplyAsync(() -> {
      try (Repository r = git.open(tenant, repo)) {
        return candidates(r, sha);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the workflows of " + tenant + "/" + repo + " at " + sha, e);
      }
    }, blocking).thenCompose(all -> {
      List<Candidate> chosen = all.stream()
          .filter(c -> file == null ? c.workflow() != null && c.workflow().dispatch()
              : c.file().path().equals(file) || c.file().path().endsWith("/" + file))
          .toList();
      if (chosen.size() != 1) {
        String names = all.stream().filter(c -> c.workflow() != null && c.workflow().dispatch())
            .map(c -> c.file().path()).toList().toString();
        throw Rejection.INVALID.exception(file == null
            ? (chosen.isEmpty() ? "no workflow at " + ref + " has on: workflow_dispatch" : "several workflows can run: "
                + names + "; name one in \"workflow\"")
            : "no workflow " + file + " at " + ref + " (dispatchable: " + names + ")");
      }
      Candidate c = chosen.get(0);
      if (c.workflow() != null && !c.workflow().dispatch()) {
        throw Rejection.INVALID.exception(c.file().path() + " has no on: workflow_dispatch");
      }
      return start(tenant, repo, ref, sha, null, "workflow_dispatch", actor,
          "manual:" + java.util.UUID.randomUUID(), c);
    });
  }

  /**
   * How many pipelines {@link #onPush} starts for this push (workflows whose push filters match,
   * and workflows that do not parse). Blocking: reads git.
   */
  public int pushPipelines(String tenant, String repo, String ref, String before, String after) {
    try (Repository r = git.open(tenant, repo)) {
      List<String> changed = WorkflowFiles.changedPaths(r, before, after);
      int n = 0;
      for (Candidate c : candidates(r, after)) {
        if (c.error() != null || (c.workflow().push() != null && c.workflow().push().matches(ref, changed))) {
          n++;
        }
      }
      return n;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the workflows of " + tenant + "/" + repo + " at " + after, e);
    }
  }

  /**
   * Starts a pipeline from a workflow DevFlow wrote itself (a deployment's build), shown as coming
   * from {@code path}; {@code triggerKey} makes a repeat return the same pipeline.
   */
  public CompletionStage<Pipeline.Summary> generated(String tenant, String repo, String ref, String sha, String event,
      String actor, String triggerKey, String path, String text) {
    Candidate c;
    try {
      c = new Candidate(new WorkflowFiles.File(path, text), WorkflowParser.parse(path, text), null);
    } catch (WorkflowException e) {
      throw new IllegalArgumentException("generated workflow does not parse: " + e.getMessage(), e);
    }
    return start(tenant, repo, ref, sha, null, event, actor, triggerKey, c);
  }

  private static List<Candidate> candidates(Repository r, String sha) throws IOException {
    List<Candidate> out = new ArrayList<>();
    for (WorkflowFiles.File f : WorkflowFiles.at(r, sha)) {
      try {
        out.add(new Candidate(f, WorkflowParser.parse(f.path(), f.text()), null));
      } catch (WorkflowException e) {
        out.add(new Candidate(f, null, e));
      }
    }
    return out;
  }

  private CompletionStage<Pipeline.Summary> start(String tenant, String repo, String ref, String sha, String before,
      String event, String actor, String triggerKey, Candidate c) {
    Instant now = Instant.now();
    String name = c.workflow() != null && c.workflow().name() != null ? c.workflow().name() : c.file().path();
    RepoPipelines.Entry entry = new RepoPipelines.Entry(0, c.file().path(), name, ref, sha, event, now);
    PipelineInfo.WorkflowError error = c.error() == null ? null
        : new PipelineInfo.WorkflowError(c.error().file(), c.error().line(), c.error().column(), c.error().reason());
    return sharding.entityRefFor(RepoPipelines.ENTITY_KEY, tenant + "/" + repo)
        .<Long>askWithStatus(reply -> new RepoPipelines.Register(triggerKey, entry, reply), ASK)
        .thenCompose(number -> sharding.entityRefFor(Pipeline.ENTITY_KEY, Pipeline.entityId(tenant, repo, number))
            .askWithStatus(reply -> new Pipeline.Create(new PipelineInfo(tenant, repo, number, c.file().path(), name,
                c.file().text(), ref, sha, before, event, actor, error, now,
                c.workflow() == null ? List.of() : c.workflow().notices()), reply), ASK));
  }
}
