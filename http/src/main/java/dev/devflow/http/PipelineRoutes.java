package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.Names;
import dev.devflow.actors.pipeline.JobQueue;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.PipelineInfo;
import dev.devflow.actors.pipeline.PipelineJob;
import dev.devflow.actors.pipeline.PipelineStarter;
import dev.devflow.actors.pipeline.RepoPipelines;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.ci.LogChunk;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code /api/v1/tenants/{t}/repos/{r}/pipelines} (API.md "Pipelines"): list (newest first), get,
 * manual run, cancel, a job's log (plain text, or followed as SSE until the job ends); and {@code
 * /api/v1/runners} for the cluster admin.
 */
public final class PipelineRoutes extends ApiDirectives {

  public record RunBody(String ref, String workflow) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PipelineView(long number, String status, String workflow, String file, String ref, String sha,
      String event, String actor, Instant createdAt, Instant finishedAt, PipelineInfo.WorkflowError error,
      List<String> notices, List<JobView> jobs) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record JobView(String key, String job, String name, String status, String result, int attempt,
      List<String> runsOn, List<String> needs, String runner, Instant queuedAt, Instant startedAt, Instant finishedAt,
      Map<String, String> outputs, String reason) {}

  public record RunnerView(String id, String name, List<String> labels, int slots, List<String> jobs,
      Instant lastSeen) {}

  /** How often a followed log looks for new lines (chunks are flushed every 200 ms). */
  private static final Duration FOLLOW_POLL = Duration.ofMillis(250);
  private static final int MAX_LIST = 100;

  private final ClusterSharding sharding;
  private final PipelineStarter starter;
  private final GitStorage git;
  private final JobLogStore logs;
  private final Executor blocking;
  private final Duration askTimeout;

  public PipelineRoutes(ActorSystem<?> system, Authenticator authenticator, PipelineStarter starter, GitStorage git,
      JobLogStore logs, Executor blocking, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.starter = starter;
    this.git = git;
    this.logs = logs;
    this.blocking = blocking;
    this.askTimeout = askTimeout;
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return pathPrefix("repos", () -> pathPrefix(PathMatchers.segment(), r -> pathPrefix("pipelines", () -> concat(
        pathEnd(() -> collection(t, r)),
        pathPrefix(PathMatchers.longSegment(), n -> one(t, r, n))))));
  }

  private Route collection(String t, String r) {
    return label("/api/v1/tenants/{t}/repos/{r}/pipelines", () -> concat(
        get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () -> withRepo(t, r, s -> list(t, r))))),
        post(() -> authenticated(p -> audited(p, t, "pipeline.run", "repos/" + r + "/pipelines", () ->
            tenantScope(p, t, Role.WRITE, () -> withRepo(t, r, s ->
                jsonBody(RunBody.class, body -> run(t, r, s, body, p)))))))));
  }

  private Route one(String t, String r, long n) {
    Route pipeline = label("/api/v1/tenants/{t}/repos/{r}/pipelines/{n}", () ->
        get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () ->
            withPipeline(t, r, n, s -> completeJson(StatusCodes.OK, view(s)))))));
    Route cancel = label("/api/v1/tenants/{t}/repos/{r}/pipelines/{n}/cancel", () ->
        post(() -> authenticated(p -> audited(p, t, "pipeline.cancel", "repos/" + r + "/pipelines/" + n, () ->
            tenantScope(p, t, Role.WRITE, () -> cancel(t, r, n))))));
    return concat(
        pathEnd(() -> pipeline),
        path("cancel", () -> cancel),
        path(PathMatchers.segment("jobs").slash(PathMatchers.segment()).slash("log"), job ->
            label("/api/v1/tenants/{t}/repos/{r}/pipelines/{n}/jobs/{job}/log", () ->
                get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () -> withPipeline(t, r, n, s ->
                    parameterOptional("follow", follow -> log(s, job, follow.map("true"::equals).orElse(false))))))))));
  }

  /** {@code GET /api/v1/runners}: connected runners and their jobs (cluster admin only). */
  public Route runners() {
    return path(PathMatchers.segment("api").slash("v1").slash("runners"), () -> label("/api/v1/runners", () ->
        get(() -> authenticated(p -> p.clusterAdmin()
            ? completeAsync(queue().<JobQueue.RunnerList>ask(JobQueue.ListRunners::new, askTimeout), list ->
                completeJson(StatusCodes.OK, Map.of("items", list.runners().stream().map(PipelineRoutes::view).toList(),
                    "queued", list.queued())))
            : completeProblem(ProblemException.forbidden("needs the admin token").problem())))));
  }

  private static RunnerView view(JobQueue.RunnerView r) {
    return new RunnerView(r.runnerId(), r.name(), r.labels(), r.slots(),
        r.leases().stream().map(l -> l.job().pipelineId() + "/" + l.job().key()).toList(), r.lastSeen());
  }

  private Route list(String t, String r) {
    return parameterOptional("limit", limitParam -> {
      int limit = limit(limitParam);
      CompletionStage<List<PipelineView>> views = sharding.entityRefFor(RepoPipelines.ENTITY_KEY, t + "/" + r)
          .<RepoPipelines.Listing>ask(reply -> new RepoPipelines.ListRecent(limit, reply), askTimeout)
          .thenCompose(listing -> {
            List<CompletableFuture<PipelineView>> asks = new ArrayList<>();
            for (RepoPipelines.Entry e : listing.entries()) {
              // A number whose pipeline was never created (the node starting it died between the
              // two steps; its caller got an error, nothing ran) is left out, not an error.
              asks.add(pipeline(t, r, e.number()).<Pipeline.Summary>askWithStatus(Pipeline.Get::new, askTimeout)
                  .thenApply(s -> view(s))
                  .exceptionally(error -> {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                    if (Rejection.of(cause) == Rejection.NOT_FOUND) {
                      return null;
                    }
                    throw error instanceof CompletionException ce ? ce : new CompletionException(error);
                  })
                  .toCompletableFuture());
            }
            return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
                .thenApply(v -> asks.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList());
          });
      return completeAsync(views, items -> completeJson(StatusCodes.OK, Map.of("items", items)));
    });
  }

  private static int limit(Optional<String> param) {
    try {
      int limit = param.map(Integer::parseInt).orElse(20);
      if (limit < 1 || limit > MAX_LIST) {
        throw ProblemException.invalid("limit", "limit must be 1 to " + MAX_LIST);
      }
      return limit;
    } catch (NumberFormatException e) {
      throw ProblemException.invalid("limit", "limit must be a number");
    }
  }

  private Route run(String t, String r, Repo.Summary repo, RunBody body, Principal p) {
    String ref = body.ref() == null || body.ref().isBlank() ? repo.defaultBranch() : body.ref().strip();
    CompletionStage<Pipeline.Summary> started = CompletableFuture.supplyAsync(() -> resolve(t, r, ref), blocking)
        .thenCompose(resolved -> starter.manual(t, r, resolved.first(), resolved.second(),
            p.clusterAdmin() ? "admin" : p.tokenName(), body.workflow()));
    return completeAsync(started, s -> completeJson(StatusCodes.CREATED, view(s)));
  }

  /** The full ref name and commit of a branch, tag or commit id. */
  private Pair<String, String> resolve(String t, String r, String ref) {
    try (Repository repo = git.open(t, r)) {
      for (String full : List.of(ref, "refs/heads/" + ref, "refs/tags/" + ref)) {
        if (full.startsWith("refs/")) {
          var found = repo.exactRef(full);
          if (found != null && found.getObjectId() != null) {
            ObjectId peeled = repo.getRefDatabase().peel(found).getPeeledObjectId();
            return Pair.create(full, (peeled != null ? peeled : found.getObjectId()).name());
          }
        }
      }
      if (ref.matches("[0-9a-f]{40}") && repo.getObjectDatabase().has(ObjectId.fromString(ref))) {
        return Pair.create(ref, ref);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    throw ProblemException.invalid("ref", "no branch, tag or commit '" + ref + "' in " + t + "/" + r);
  }

  private Route cancel(String t, String r, long n) {
    return completeAsync(pipeline(t, r, n).<Pipeline.Summary>askWithStatus(Pipeline.Cancel::new, askTimeout),
        s -> completeJson(StatusCodes.ACCEPTED, view(s)));
  }

  private Route log(Pipeline.Summary s, String key, boolean follow) {
    PipelineJob job = s.jobs().stream().filter(j -> j.key().equals(key)).findFirst()
        .orElseThrow(() -> ProblemException.notFound("job " + key + " not found in pipeline " + s.info().number()));
    String logId = s.info().pipelineId() + "/" + key;
    if (!follow) {
      CompletionStage<String> text = CompletableFuture.supplyAsync(() -> {
        StringBuilder b = new StringBuilder();
        int attempt = Math.max(job.attempt(), logs.latestAttempt(logId));
        int seq = 0;
        List<LogChunk> chunks;
        do {
          chunks = logs.read(logId, attempt, seq, 100);
          for (LogChunk c : chunks) {
            b.append(c.body());
            seq = c.seq();
          }
        } while (chunks.size() == 100);
        return b.toString();
      }, blocking);
      return completeAsync(text, body -> complete(HttpResponse.create()
          .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body))));
    }
    Source<ByteString, NotUsed> events = Source.unfoldAsync(new Follow(job.attempt(), 0, false, false),
        f -> follow(s.info(), key, logId, f));
    return complete(HttpResponse.create()
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .withEntity(HttpEntities.createChunked(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events)));
  }

  /** Where a follower is: the attempt, the last chunk sent, whether the job was over at the last look. */
  private record Follow(int attempt, int seq, boolean jobOver, boolean done) {}

  /**
   * One step of a followed log: new chunks as {@code log} events (one {@code data:} line per log
   * line, id = chunk number), and when the job is over and everything is sent, a final {@code end}
   * event with its status.
   */
  private CompletionStage<Optional<Pair<Follow, ByteString>>> follow(PipelineInfo info, String key, String logId,
      Follow f) {
    if (f.done()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.supplyAsync(() -> logs.read(logId, f.attempt(), f.seq(), 50), blocking)
        .thenCompose(chunks -> {
          if (!chunks.isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (LogChunk c : chunks) {
              b.append("event: log\nid: ").append(c.seq()).append('\n');
              c.body().lines().forEach(line -> b.append("data: ").append(line).append('\n'));
              b.append('\n');
            }
            Follow next = new Follow(f.attempt(), chunks.get(chunks.size() - 1).seq(), false, false);
            return CompletableFuture.completedFuture(Optional.of(Pair.create(next, ByteString.fromString(b.toString()))));
          }
          if (f.jobOver()) {
            return pipeline(info.tenant(), info.repo(), info.number())
                .<Pipeline.Summary>askWithStatus(Pipeline.Get::new, askTimeout)
                .thenApply(s -> {
                  PipelineJob j = s.jobs().stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow();
                  String data = "{\"job\":\"" + key + "\",\"status\":\"" + j.status().api() + "\"}";
                  return Optional.of(Pair.create(new Follow(f.attempt(), f.seq(), true, true),
                      ByteString.fromString("event: end\ndata: " + data + "\n\n")));
                });
          }
          // Nothing new: wait, then look at the job (a later attempt, or the end) and read again.
          CompletableFuture<Void> pause = new CompletableFuture<>();
          CompletableFuture.delayedExecutor(FOLLOW_POLL.toMillis(), TimeUnit.MILLISECONDS, blocking)
              .execute(() -> pause.complete(null));
          return pause.thenCompose(v -> pipeline(info.tenant(), info.repo(), info.number())
              .<Pipeline.Summary>askWithStatus(Pipeline.Get::new, askTimeout)).thenApply(s -> {
                PipelineJob j = s.jobs().stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow();
                if (j.attempt() > f.attempt()) {
                  return Optional.of(Pair.create(new Follow(j.attempt(), 0, false, false), ByteString.fromString(
                      "event: attempt\ndata: {\"attempt\":" + j.attempt() + "}\n\n")));
                }
                // The job being over is only believed after one more read finds nothing (the
                // runner flushes its last lines before it reports).
                return Optional.of(Pair.create(new Follow(f.attempt(), f.seq(), j.status().terminal(), false),
                    ByteString.fromString(":\n\n")));
              });
        });
  }

  private Route withRepo(String t, String r, java.util.function.Function<Repo.Summary, Route> inner) {
    return withRepo(sharding, askTimeout, t, r, inner);
  }

  private Route withPipeline(String t, String r, long n, java.util.function.Function<Pipeline.Summary, Route> inner) {
    if (!Names.isValid(r) || n < 1) {
      return completeProblem(ProblemException.notFound("pipeline " + t + "/" + r + "/" + n + " not found").problem());
    }
    return completeAsync(pipeline(t, r, n).<Pipeline.Summary>askWithStatus(Pipeline.Get::new, askTimeout),
        inner::apply);
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Pipeline.Command> pipeline(String t, String r,
      long n) {
    return sharding.entityRefFor(Pipeline.ENTITY_KEY, Pipeline.entityId(t, r, n));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<JobQueue.Command> queue() {
    return sharding.entityRefFor(JobQueue.ENTITY_KEY, JobQueue.DEFAULT_POOL);
  }

  static PipelineView view(Pipeline.Summary s) {
    PipelineInfo i = s.info();
    return new PipelineView(i.number(), s.status(), i.workflowName(), i.file(), i.ref(), i.sha(), i.event(), i.actor(),
        i.createdAt(), s.finishedAt(), i.error(), i.notices().isEmpty() ? null : i.notices(),
        s.jobs().stream().map(PipelineRoutes::view).toList());
  }

  private static JobView view(PipelineJob j) {
    return new JobView(j.key(), j.jobId(), j.name(), j.status().api(), j.status().terminal() ? j.result() : null,
        j.attempt(), j.runsOn(), j.needs(), j.runner(), j.queuedAt(), j.startedAt(), j.finishedAt(),
        j.outputs().isEmpty() ? null : j.outputs(), j.reason());
  }
}
