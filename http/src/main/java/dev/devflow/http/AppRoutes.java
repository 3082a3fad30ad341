package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.devflow.actors.Names;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.deploy.App;
import dev.devflow.actors.deploy.AppConfig;
import dev.devflow.actors.deploy.InstanceInfo;
import dev.devflow.actors.deploy.Release;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.runtime.RuntimeSupervisor;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.apps.AppEntry;
import dev.devflow.persistence.apps.AppStore;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.ci.LogChunk;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
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
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code /api/v1/tenants/{t}/apps} (API.md "Deployments"): create, read (with its releases and
 * instances), list, change instances and env, deploy the branch's head now, roll back, delete,
 * and the instances' logs (plain, or followed as SSE).
 */
public final class AppRoutes extends ApiDirectives {

  public record CreateApp(String name, String repo, String branch, Integer instances, Map<String, String> env,
      Boolean requireCi, @JsonProperty("private") Boolean privateApp) {}

  public record PatchApp(Integer instances, Map<String, String> env) {}

  public record RollbackBody(Long release) {}

  public record DeployBody(String commit) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AppView(String name, String repo, String branch, int instances, Map<String, String> env,
      Boolean requireCi, @JsonProperty("private") boolean privateApp, String url, Release currentRelease, Release deploying,
      List<InstanceInfo> processes, Instant createdAt) {}

  static final int MAX_INSTANCES = 20;
  static final int MAX_ENV_VALUE = 32 * 1024;
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Duration FOLLOW_POLL = Duration.ofMillis(500);

  private final ClusterSharding sharding;
  private final AppStore store;
  private final GitStorage git;
  private final JobLogStore logs;
  private final Executor blocking;
  private final Duration askTimeout;

  public AppRoutes(ActorSystem<?> system, Authenticator authenticator, AppStore store, GitStorage git,
      JobLogStore logs, Executor blocking, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.git = git;
    this.logs = logs;
    this.blocking = blocking;
    this.askTimeout = askTimeout;
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    Route collection = label("/api/v1/tenants/{t}/apps", () -> concat(
        get(() -> scoped(t, Role.READ, () -> list(t))),
        post(() -> authenticated(p -> audited(p, t, "app.create", "apps", () ->
            tenantScope(p, t, Role.WRITE, () -> create(t)))))));
    return pathPrefix("apps", () -> concat(
        pathEnd(() -> collection),
        pathPrefix(PathMatchers.segment(), a -> concat(
            pathEnd(() -> label("/api/v1/tenants/{t}/apps/{a}", () -> concat(
                get(() -> scoped(t, Role.READ, () -> withApp(t, a, s -> completeJson(StatusCodes.OK, view(s))))),
                patch(() -> authenticated(p -> audited(p, t, "app.update", "apps/" + a, () ->
                    tenantScope(p, t, Role.WRITE, () -> patchApp(t, a))))),
                delete(() -> authenticated(p -> audited(p, t, "app.delete", "apps/" + a, () ->
                    tenantScope(p, t, Role.ADMIN, () -> deleteApp(t, a)))))))),
            path("releases", () -> label("/api/v1/tenants/{t}/apps/{a}/releases", () ->
                get(() -> scoped(t, Role.READ, () -> withApp(t, a, s ->
                    completeJson(StatusCodes.OK, Map.of("items", s.releases()))))))),
            path("rollback", () -> label("/api/v1/tenants/{t}/apps/{a}/rollback", () ->
                post(() -> authenticated(p -> audited(p, t, "app.rollback", "apps/" + a, () ->
                    tenantScope(p, t, Role.WRITE, () -> rollback(t, a))))))),
            path("deploy", () -> label("/api/v1/tenants/{t}/apps/{a}/deploy", () ->
                post(() -> authenticated(p -> audited(p, t, "app.deploy", "apps/" + a, () ->
                    tenantScope(p, t, Role.WRITE, () -> deployNow(t, a))))))),
            path("logs", () -> label("/api/v1/tenants/{t}/apps/{a}/logs", () ->
                get(() -> scoped(t, Role.READ, () -> withApp(t, a, s -> parameterOptional("follow", follow ->
                    logs(s, follow.map("true"::equals).orElse(false))))))))))));
  }

  private Route scoped(String t, Role role, Supplier<Route> inner) {
    return authenticated(p -> tenantScope(p, t, role, inner));
  }

  private Route create(String t) {
    return jsonBody(CreateApp.class, body -> {
      if (body.name() == null || !Names.isValid(body.name())) {
        throw ProblemException.invalid("name", "name must match " + Names.PATTERN.pattern());
      }
      if (body.repo() == null || !Names.isValid(body.repo())) {
        throw ProblemException.invalid("repo", "repo is required: the name of one of the tenant's repositories");
      }
      String branch = body.branch() == null ? "main" : body.branch();
      if (branch.isBlank() || branch.length() > 200 || !org.eclipse.jgit.lib.Repository.isValidRefName(
          "refs/heads/" + branch)) {
        throw ProblemException.invalid("branch", "'" + branch + "' is not a valid branch name");
      }
      int instances = instances(body.instances(), 1);
      Map<String, String> env = env(body.env());
      AppConfig config = new AppConfig(body.repo(), branch, instances, env, body.requireCi(),
          Boolean.TRUE.equals(body.privateApp()));
      CompletionStage<App.Summary> created = repoNamedInBody(sharding, askTimeout, t, body.repo(), "repo")
          .thenCompose(v -> app(t, body.name()).<App.Summary>askWithStatus(r -> new App.Create(config, r), askTimeout))
          .thenApplyAsync(s -> {
            store.register(new AppEntry(t, body.name(), body.repo(), branch));
            return s;
          }, blocking);
      return completeAsync(created, s -> completeJson(StatusCodes.CREATED, view(s)));
    });
  }

  private static int instances(Integer n, int otherwise) {
    int v = n == null ? otherwise : n;
    if (v < 0 || v > MAX_INSTANCES) {
      throw ProblemException.invalid("instances", "instances must be 0 to " + MAX_INSTANCES);
    }
    return v;
  }

  private static Map<String, String> env(Map<String, String> env) {
    if (env == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        throw ProblemException.invalid("env", "'" + e.getKey() + "' is not a valid variable name ("
            + ENV_NAME.pattern() + ")");
      }
      if (e.getKey().equals("PORT")) {
        throw ProblemException.invalid("env", "PORT is set by DevFlow: each instance gets its own");
      }
      if (e.getValue() == null || e.getValue().length() > MAX_ENV_VALUE) {
        throw ProblemException.invalid("env", "the value of " + e.getKey() + " must be a string of at most "
            + MAX_ENV_VALUE + " characters");
      }
    }
    return Map.copyOf(env);
  }

  private Route patchApp(String t, String a) {
    return jsonBody(PatchApp.class, body -> {
      Integer instances = body.instances() == null ? null : instances(body.instances(), 1);
      Map<String, String> env = body.env() == null ? null : env(body.env());
      return completeAsync(app(t, a).<App.Summary>askWithStatus(r -> new App.Update(instances, env, r), askTimeout),
          s -> completeJson(StatusCodes.OK, view(s)));
    });
  }

  private Route rollback(String t, String a) {
    return jsonBody(RollbackBody.class, body -> {
      if (body.release() == null || body.release() < 1) {
        throw ProblemException.invalid("release", "release is required: the number of an earlier release");
      }
      return completeAsync(app(t, a).<App.Summary>askWithStatus(r -> new App.Rollback(body.release(), r), askTimeout)
              .exceptionally(error -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
                if (Rejection.of(cause) == Rejection.INVALID) {
                  throw ProblemException.invalid("release", cause.getMessage().substring("invalid: ".length()));
                }
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
              }),
          s -> completeJson(StatusCodes.ACCEPTED, view(s)));
    });
  }

  /** Deploys the branch's head (or {@code commit}) now, as a push would. */
  private Route deployNow(String t, String a) {
    return jsonBody(DeployBody.class, body -> withApp(t, a, s -> {
      CompletionStage<String> commit = CompletableFuture.supplyAsync(() -> resolve(t, s.config(), body.commit()),
          blocking);
      return completeAsync(commit.thenCompose(sha -> app(t, a).<org.apache.pekko.Done>askWithStatus(
              r -> new App.Deploy(sha, "refs/heads/" + s.config().branch(), null, null, r), askTimeout)
              .thenCompose(d -> app(t, a).<App.Summary>askWithStatus(App.Get::new, askTimeout))),
          next -> completeJson(StatusCodes.ACCEPTED, view(next)));
    }));
  }

  private String resolve(String t, AppConfig c, String commit) {
    try (Repository repo = git.open(t, c.repo())) {
      if (commit != null) {
        if (!commit.matches("[0-9a-f]{40}") || !repo.getObjectDatabase().has(ObjectId.fromString(commit))) {
          throw ProblemException.invalid("commit", "no commit " + commit + " in " + t + "/" + c.repo());
        }
        return commit;
      }
      Ref head = repo.exactRef("refs/heads/" + c.branch());
      if (head == null || head.getObjectId() == null) {
        throw ProblemException.invalid("commit", "branch " + c.branch() + " of " + t + "/" + c.repo()
            + " has no commits yet: push to it first");
      }
      return head.getObjectId().name();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Route deleteApp(String t, String a) {
    return completeAsync(app(t, a).<org.apache.pekko.Done>askWithStatus(App.Delete::new, askTimeout)
            .thenApplyAsync(d -> {
              store.unregister(t, a);
              return d;
            }, blocking),
        d -> complete(StatusCodes.NO_CONTENT));
  }

  private Route list(String t) {
    return completeAsync(CompletableFuture.supplyAsync(() -> store.list(t), blocking), apps ->
        completeJson(StatusCodes.OK, Map.of("items", apps.stream().map(e -> Map.of("name", e.app(), "repo", e.repo(),
            "branch", e.branch(), "url", "/apps/" + t + "/" + e.app() + "/")).toList())));
  }

  private Route withApp(String t, String a, java.util.function.Function<App.Summary, Route> inner) {
    if (!Names.isValid(a)) {
      return completeProblem(ProblemException.notFound("app " + t + "/" + a + " not found").problem());
    }
    return completeAsync(app(t, a).<App.Summary>askWithStatus(App.Get::new, askTimeout), inner::apply);
  }

  private EntityRef<App.Command> app(String t, String a) {
    return sharding.entityRefFor(App.ENTITY_KEY, App.entityId(t, a));
  }

  private static AppView view(App.Summary s) {
    AppConfig c = s.config();
    Release live = s.releases().stream().filter(r -> r.number() == s.live()).findFirst().orElse(null);
    Release deploying = s.releases().stream().filter(r -> r.number() == s.deploying()).findFirst().orElse(null);
    return new AppView(s.app(), c.repo(), c.branch(), c.instances(), c.env(), c.requireCi(), c.privateApp(),
        "/apps/" + s.tenant() + "/" + s.app() + "/", live, deploying, s.instances(), s.createdAt());
  }

  // ---- logs --------------------------------------------------------------------------------

  /** Every current instance's output: plain text, or followed as SSE ({@code log} events) until the client leaves. */
  private Route logs(App.Summary s, boolean follow) {
    if (!follow) {
      CompletionStage<String> text = CompletableFuture.supplyAsync(() -> {
        StringBuilder b = new StringBuilder();
        for (InstanceInfo i : s.instances()) {
          String id = RuntimeSupervisor.logId(s.tenant(), s.app(), i.id());
          int seq = 0;
          List<LogChunk> chunks;
          do {
            chunks = logs.read(id, 1, seq, 100);
            for (LogChunk c : chunks) {
              c.body().lines().forEach(line -> b.append(i.id()).append(' ').append(line).append('\n'));
              seq = c.seq();
            }
          } while (chunks.size() == 100);
        }
        return b.toString();
      }, blocking);
      return completeAsync(text, body -> complete(HttpResponse.create()
          .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body))));
    }
    Source<ByteString, NotUsed> events = Source.unfoldAsync(new Follow(new LinkedHashMap<>(), 0),
        f -> follow(s.tenant(), s.app(), f));
    return complete(HttpResponse.create()
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        .withEntity(HttpEntities.createChunked(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), events)));
  }

  /** Where a follower is: the last chunk sent per instance, and when the instance list was last read. */
  private record Follow(Map<String, Integer> seqs, long listedAt) {}

  private CompletionStage<Optional<Pair<Follow, ByteString>>> follow(String t, String a, Follow f) {
    boolean relist = System.nanoTime() - f.listedAt() > Duration.ofSeconds(5).toNanos();
    CompletionStage<Map<String, Integer>> instances = relist
        ? app(t, a).<App.Summary>askWithStatus(App.Get::new, askTimeout).thenApply(s -> {
            Map<String, Integer> seqs = new LinkedHashMap<>();
            for (InstanceInfo i : s.instances()) {
              seqs.put(i.id(), f.seqs().getOrDefault(i.id(), 0));
            }
            return seqs;
          })
        : CompletableFuture.completedFuture(f.seqs());
    long listedAt = relist ? System.nanoTime() : f.listedAt();
    return instances.thenCompose(seqs -> CompletableFuture.supplyAsync(() -> {
      StringBuilder b = new StringBuilder();
      Map<String, Integer> next = new HashMap<>(seqs);
      for (Map.Entry<String, Integer> e : seqs.entrySet()) {
        List<LogChunk> chunks = logs.read(RuntimeSupervisor.logId(t, a, e.getKey()), 1, e.getValue(), 20);
        for (LogChunk c : chunks) {
          b.append("event: log\n");
          c.body().lines().forEach(line -> b.append("data: ").append(e.getKey()).append(' ').append(line).append('\n'));
          b.append('\n');
          next.put(e.getKey(), c.seq());
        }
      }
      return Pair.create(new Follow(new LinkedHashMap<>(next), listedAt), b.toString());
    }, blocking)).thenCompose(p -> {
      if (!p.second().isEmpty()) {
        return CompletableFuture.completedFuture(Optional.of(Pair.create(p.first(),
            ByteString.fromString(p.second()))));
      }
      CompletableFuture<Optional<Pair<Follow, ByteString>>> later = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(FOLLOW_POLL.toMillis(), TimeUnit.MILLISECONDS, blocking)
          .execute(() -> later.complete(Optional.of(Pair.create(p.first(), ByteString.fromString(":\n\n")))));
      return later;
    });
  }
}
