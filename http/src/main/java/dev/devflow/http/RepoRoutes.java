package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.Names;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.RepoPipelines;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.repo.Repo;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.secrets.SecretStore;
import dev.devflow.actors.tenant.Role;
import java.io.IOException;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * {@code /api/v1/tenants/{t}/repos} (API.md "Repositories"): create, list, get (with the clone
 * URL and refs), delete, commits at a ref, and a file's raw content at a ref.
 */
public final class RepoRoutes extends ApiDirectives {

  /** POST body. */
  public record CreateRepo(String name, String defaultBranch, String description) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RepoView(
      String name, String defaultBranch, String description, String visibility,
      List<String> protectedBranches, String cloneUrl, Map<String, String> refs, Instant createdAt) {}

  /** {@code pipeline}: the commit's latest pipeline ({@code number}, {@code status}), or null. */
  @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  public record CommitView(String id, String author, Instant time, String message, PipelineStatus pipeline) {}

  public record PipelineStatus(long number, String status) {}

  /** PATCH body; absent fields keep their value. */
  public record RepoSettings(String description, String visibility, List<String> protectedBranches) {}

  private static final java.util.regex.Pattern BRANCH_PATTERN = java.util.regex.Pattern.compile("[A-Za-z0-9._/*-]{1,100}");

  private static final int MAX_COMMITS = 500;
  private static final long MAX_FILE_BYTES = 50L * 1024 * 1024;

  private final ClusterSharding sharding;
  private final GitStorage storage;
  private final SecretStore secrets;
  private final AgentStore agents;
  private final Duration askTimeout;
  private final Executor blocking;

  public RepoRoutes(ActorSystem<?> system, Authenticator authenticator, GitStorage storage, SecretStore secrets,
      AgentStore agents, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.secrets = secrets;
    this.agents = agents;
    this.sharding = ClusterSharding.get(system);
    this.storage = storage;
    this.askTimeout = askTimeout;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return pathPrefix("repos", () -> concat(
        pathEnd(() -> label("/api/v1/tenants/{t}/repos", () -> collection(t))),
        pathPrefix(PathMatchers.segment(), r -> one(t, r))));
  }

  private Route collection(String t) {
    return concat(
        post(() -> authenticated(p -> audited(p, t, "repo.create", "repos", () ->
            tenantScope(p, t, Role.WRITE, () -> create(t))))),
        get(() -> authenticated(p -> tenantScope(p, t, Role.READ, () -> list(t)))));
  }

  private Route one(String t, String r) {
    Route repo = label("/api/v1/tenants/{t}/repos/{r}", () -> concat(
        get(() -> readable(t, r, this::view)),
        patch(() -> authenticated(p -> audited(p, t, "repo.update", "repos/" + r, () ->
            tenantScope(p, t, Role.ADMIN, () -> changeSettings(t, r))))),
        delete(() -> authenticated(p -> audited(p, t, "repo.delete", "repos/" + r, () ->
            tenantScope(p, t, Role.ADMIN, () -> delete(t, r)))))));
    Route commits = label("/api/v1/tenants/{t}/repos/{r}/commits", () -> get(() -> readable(t, r, s ->
        parameterOptional("ref", ref -> parameterOptional("limit", limit ->
            commits(t, r, ref.orElse(s.defaultBranch()), limit))))));
    Route files = label("/api/v1/tenants/{t}/repos/{r}/files/{path}", () -> get(() -> readable(t, r, s ->
        extractUnmatchedPath(path -> parameterOptional("ref", ref -> file(t, r, ref.orElse(s.defaultBranch()), path))))));
    return concat(pathEnd(() -> repo), path("commits", () -> commits), pathPrefix("files", () -> files));
  }

  /**
   * Any token of the tenant, and the repository must exist; for an {@code internal} repository
   * also a read token of any other tenant (as for any other tenant's repository, a private one
   * then does not exist).
   */
  private Route readable(String t, String r, Function<Repo.Summary, Route> inner) {
    return authenticated(p -> {
      if (p.canSee(t) || !Names.isValid(t) || !p.has(Role.READ)) {
        return tenantScope(p, t, Role.READ, () -> withRepo(t, r, inner));
      }
      return withRepo(t, r, s -> {
        if (!"internal".equals(s.visibility())) {
          // The entity's own answer for a repository that does not exist: nothing to tell apart.
          throw ProblemException.notFound("repository " + t + "/" + r + " not found");
        }
        return inner.apply(s);
      });
    });
  }

  private Route changeSettings(String t, String r) {
    return jsonBody(RepoSettings.class, body -> {
      if (body.visibility() != null && !Repo.VISIBILITIES.contains(body.visibility())) {
        throw ProblemException.invalid("visibility", "visibility must be one of " + Repo.VISIBILITIES);
      }
      if (body.description() != null && body.description().length() > 1000) {
        throw ProblemException.invalid("description", "description is at most 1000 characters");
      }
      if (body.protectedBranches() != null) {
        if (body.protectedBranches().size() > 50) {
          throw ProblemException.invalid("protectedBranches", "at most 50 patterns");
        }
        for (String pattern : body.protectedBranches()) {
          if (pattern == null || !BRANCH_PATTERN.matcher(pattern).matches() || pattern.contains("..")) {
            throw ProblemException.invalid("protectedBranches",
                "not a branch name pattern: " + pattern + " (branch characters and * only)");
          }
        }
      }
      if (!Names.isValid(r)) {
        throw ProblemException.notFound("repository " + t + "/" + r + " not found");
      }
      return completeAsync(repo(t, r).<Repo.Summary>askWithStatus(
          reply -> new Repo.ChangeSettings(body.description(), body.visibility(), body.protectedBranches(), reply),
          askTimeout), this::view);
    });
  }

  private Route create(String t) {
    return jsonBody(CreateRepo.class, body -> {
      if (!Names.isValid(body.name())) {
        throw ProblemException.invalid("name", "name must match " + Names.PATTERN.pattern());
      }
      String branch = body.defaultBranch() == null ? "main" : body.defaultBranch();
      if (!branch.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,99}") || branch.contains("..") || branch.endsWith(".lock")) {
        throw ProblemException.invalid("defaultBranch", "not a valid branch name: " + branch);
      }
      if (body.description() != null && body.description().length() > 1000) {
        throw ProblemException.invalid("description", "description is at most 1000 characters");
      }
      return extractUri(uri -> completeAsync(
          repo(t, body.name()).<Repo.Summary>askWithStatus(r -> new Repo.Create(branch, body.description(), r), askTimeout),
          s -> respondWithHeader(Location.create("/api/v1/tenants/" + t + "/repos/" + s.name()),
              () -> completeJson(StatusCodes.CREATED, view(s, uri)))));
    });
  }

  private Route list(String t) {
    return extractUri(uri -> completeAsync(summaries(t), list ->
        completeJson(StatusCodes.OK, Map.of("items", list.stream().map(s -> view(s, uri)).toList()))));
  }

  /** The repositories on disk for the tenant, as their entities describe them. */
  private CompletionStage<List<Repo.Summary>> summaries(String t) {
    return CompletableFuture.supplyAsync(() -> namesOnDisk(t), blocking).thenCompose(names -> summaries(t, names));
  }

  private List<String> namesOnDisk(String t) {
    Path dir = storage.root().resolve(t);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".git"))
          .map(n -> n.substring(0, n.length() - 4)).filter(Names::isValid).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private CompletionStage<List<Repo.Summary>> summaries(String t, List<String> names) {
    List<CompletableFuture<Repo.Summary>> asks = names.stream()
        .map(n -> repo(t, n).<Repo.Summary>askWithStatus(Repo.Get::new, askTimeout).toCompletableFuture()
            .exceptionally(e -> null))
        .toList();
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture[0]))
        .thenApply(x -> asks.stream().map(CompletableFuture::join).filter(s -> s != null).toList());
  }

  private Route delete(String t, String r) {
    if (!Names.isValid(r)) {
      return completeProblem(ProblemException.notFound("repository " + t + "/" + r + " not found").problem());
    }
    // A repository created later under the same name must not inherit this one's secrets or
    // reviews.
    return completeAsync(repo(t, r).<Done>askWithStatus(Repo.Delete::new, askTimeout)
            .thenApplyAsync(d -> {
              agents.deleteRepo(t, r);
              return secrets.deleteRepo(t, r);
            }, blocking),
        d -> complete(StatusCodes.NO_CONTENT));
  }

  private Route withRepo(String t, String r, Function<Repo.Summary, Route> inner) {
    return withRepo(sharding, askTimeout, t, r, inner);
  }

  private Route view(Repo.Summary s) {
    return extractUri(uri -> completeJson(StatusCodes.OK, view(s, uri)));
  }

  private static RepoView view(Repo.Summary s, Uri uri) {
    String base = uri.getScheme() + "://" + uri.getHost().address() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    return new RepoView(s.name(), s.defaultBranch(), s.description(), s.visibility(), s.protectedBranches(),
        base + "/git/" + s.tenant() + "/" + s.name() + ".git", s.refs(), s.createdAt());
  }

  private Route commits(String t, String r, String ref, Optional<String> limitParam) {
    int limit;
    try {
      limit = limitParam.map(Integer::parseInt).orElse(20);
    } catch (NumberFormatException e) {
      throw ProblemException.invalid("limit", "limit must be a number");
    }
    if (limit < 1 || limit > MAX_COMMITS) {
      throw ProblemException.invalid("limit", "limit must be 1 to " + MAX_COMMITS);
    }
    int max = limit;
    return completeAsync(CompletableFuture.supplyAsync(() -> {
      try (Repository repo = storage.open(t, r)) {
        return GitStorage.log(repo, resolve(repo, ref), max);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }, blocking).thenCompose(commits -> withPipelines(t, r, commits)),
        list -> completeJson(StatusCodes.OK, Map.of("items", list)));
  }

  /** Each commit with its latest pipeline among the repository's recent ones (one ask per pipeline shown). */
  private CompletionStage<List<CommitView>> withPipelines(String t, String r, List<Repo.CommitInfo> commits) {
    return sharding.entityRefFor(RepoPipelines.ENTITY_KEY, t + "/" + r)
        .<RepoPipelines.Listing>ask(reply -> new RepoPipelines.ListRecent(MAX_COMMITS, reply), askTimeout)
        .thenCompose(listing -> {
          Map<String, Long> latest = new java.util.HashMap<>();
          // Newest first: the first pipeline seen for a commit is its latest.
          listing.entries().forEach(e -> latest.putIfAbsent(e.sha(), e.number()));
          List<CompletableFuture<CommitView>> views = new ArrayList<>();
          for (Repo.CommitInfo c : commits) {
            Long n = latest.get(c.id());
            views.add(n == null
                ? CompletableFuture.completedFuture(new CommitView(c.id(), c.author(), c.time(), c.message(), null))
                : sharding.entityRefFor(Pipeline.ENTITY_KEY, Pipeline.entityId(t, r, n))
                    .<Pipeline.Summary>askWithStatus(Pipeline.Get::new, askTimeout)
                    .thenApply(s -> new CommitView(c.id(), c.author(), c.time(), c.message(),
                        new PipelineStatus(n, s.status())))
                    .toCompletableFuture());
          }
          return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new))
              .thenApply(v -> views.stream().map(CompletableFuture::join).toList());
        });
  }

  private Route file(String t, String r, String ref, String rawPath) {
    String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
    String decoded = Uri.create("/" + path).path().substring(1);
    if (decoded.isEmpty() || decoded.contains("..") || decoded.startsWith("/")) {
      throw ProblemException.invalid("path", "not a file path: " + decoded);
    }
    return completeAsync(CompletableFuture.supplyAsync(() -> {
      try (Repository repo = storage.open(t, r); RevWalk walk = new RevWalk(repo)) {
        RevCommit commit = walk.parseCommit(resolve(repo, ref));
        try (TreeWalk tw = TreeWalk.forPath(repo, decoded, commit.getTree())) {
          if (tw == null || tw.isSubtree()) {
            throw ProblemException.notFound("no file " + decoded + " at " + ref);
          }
          ObjectLoader loader = repo.open(tw.getObjectId(0));
          if (loader.getSize() > MAX_FILE_BYTES) {
            throw new ProblemException(413, "file-too-large", "File too large", "files over 50 MiB are not served raw", null);
          }
          String guessed = URLConnection.guessContentTypeFromName(decoded);
          var type = guessed == null || guessed.startsWith("text/")
              ? ContentTypes.TEXT_PLAIN_UTF8
              : ContentTypes.parse(guessed);
          return HttpResponse.create().withEntity(HttpEntities.create(type, loader.getBytes()));
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }, blocking), this::complete);
  }

  private static ObjectId resolve(Repository repo, String ref) throws IOException {
    if (ref.contains("..") || ref.startsWith("-")) {
      throw ProblemException.invalid("ref", "not a ref: " + ref);
    }
    ObjectId id = repo.resolve(ref + "^{commit}");
    if (id == null) {
      throw ProblemException.notFound("no ref or commit " + ref);
    }
    return id;
  }

  private EntityRef<Repo.Command> repo(String t, String name) {
    return sharding.entityRefFor(Repo.ENTITY_KEY, Repo.entityId(t, name));
  }
}
