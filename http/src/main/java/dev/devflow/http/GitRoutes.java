package dev.devflow.http;

import dev.devflow.actors.Names;
import dev.devflow.actors.repo.GitMaintenance;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.tenant.Role;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.RefAdvertiser.PacketLineOutRefAdvertiser;
import org.eclipse.jgit.transport.UploadPack;

/**
 * Git smart HTTP ({@code /git/{t}/{r}.git/...}) served by JGit's UploadPack and ReceivePack
 * without a servlet container. Protocol v2 for fetch and clone (the {@code Git-Protocol} header is
 * applied on the GET and the POST), v0/v1 for push, gzip request bodies, both directions
 * streamed: a pack never sits in memory.
 *
 * <p>Auth is Basic with a token as password (git's credential helpers store it). After a push the
 * Repository entity records the ref changes; if that fails, the entity reconciles with the disk on
 * its next start.
 *
 * <p>JGit blocks, so every pack exchange runs on the blocking dispatcher.
 */
public final class GitRoutes extends ApiDirectives {

  /** Longest wait for the next chunk of a request or for the client to take the next one. */
  private static final Duration STREAM_TIMEOUT = Duration.ofMinutes(5);
  private static final ContentType.Binary UPLOAD_RESULT = ContentTypes.create(
      MediaTypes.customBinary("application", "x-git-upload-pack-result", false));
  private static final ContentType.Binary RECEIVE_RESULT = ContentTypes.create(
      MediaTypes.customBinary("application", "x-git-receive-pack-result", false));

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final GitStorage storage;
  private final GitMaintenance maintenance;
  /** One lock per repository pushed to on this node: ref updates of a repository run one at a time. */
  private final Map<String, ReentrantLock> refLocks = new ConcurrentHashMap<>();
  private final Duration askTimeout;
  private final long maxPushBytes;
  private final Duration requestTimeout;
  private final Executor blocking;

  public GitRoutes(
      ActorSystem<?> system,
      Authenticator authenticator,
      GitStorage storage,
      GitMaintenance maintenance,
      Duration askTimeout,
      long maxPushBytes,
      Duration requestTimeout) {
    super(authenticator, 0);
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.storage = storage;
    this.maintenance = maintenance;
    this.askTimeout = askTimeout;
    this.maxPushBytes = maxPushBytes;
    this.requestTimeout = requestTimeout;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public Route route() {
    // A large push or clone takes longer than the API's request timeout.
    return pathPrefix(
        "git",
        () -> withRequestTimeout(requestTimeout, () -> pathPrefix(
            PathMatchers.segment(),
            tenant -> pathPrefix(
                PathMatchers.segment(),
                repoGit -> concat(
                    path(
                        PathMatchers.segment("info").slash("refs"),
                        () -> label("/git/{t}/{r}.git/info/refs", () -> get(() -> parameterOptional(
                            "service", service -> infoRefs(tenant, repoGit, service))))),
                    path(
                        "git-upload-pack",
                        () -> label("/git/{t}/{r}.git/git-upload-pack", () -> post(() -> pack(tenant, repoGit, false)))),
                    path(
                        "git-receive-pack",
                        () -> label("/git/{t}/{r}.git/git-receive-pack", () -> post(() -> pack(tenant, repoGit, true)))))))));
  }

  private Route infoRefs(String tenant, String repoGit, Optional<String> service) {
    boolean receive = service.filter("git-receive-pack"::equals).isPresent();
    if (service.isEmpty() || !(receive || service.get().equals("git-upload-pack"))) {
      return completeProblem(ProblemException.notFound("only git smart HTTP is served: pass ?service=git-upload-pack or git-receive-pack").problem());
    }
    return repository(tenant, repoGit, receive ? Role.WRITE : Role.READ, (name, summary) ->
        optionalHeaderValueByName("Git-Protocol", protocol -> completeWithFuture(CompletableFuture.supplyAsync(() -> {
          ByteArrayOutputStream buf = new ByteArrayOutputStream();
          try (Repository repo = storage.open(tenant, name)) {
            PacketLineOut pkt = new PacketLineOut(buf);
            if (receive) {
              pkt.writeString("# service=git-receive-pack\n");
              pkt.end();
              ReceivePack rp = new ReceivePack(repo);
              rp.setBiDirectionalPipe(false);
              rp.sendAdvertisedRefs(new PacketLineOutRefAdvertiser(pkt));
            } else {
              UploadPack up = new UploadPack(repo);
              up.setBiDirectionalPipe(false);
              up.setExtraParameters(protocolParameters(protocol));
              up.sendAdvertisedRefs(new PacketLineOutRefAdvertiser(pkt), "git-upload-pack");
            }
          } catch (IOException e) {
            throw new IllegalStateException("cannot advertise refs of " + tenant + "/" + name, e);
          }
          ContentType.Binary type = ContentTypes.create(MediaTypes.customBinary(
              "application", "x-" + service.get() + "-advertisement", false));
          return HttpResponse.create()
              .withEntity(HttpEntities.create(type, buf.toByteArray()))
              .addHeader(CacheControl.create(CacheDirectives.NO_CACHE));
        }, blocking))));
  }

  private Route pack(String tenant, String repoGit, boolean receive) {
    return repository(tenant, repoGit, receive ? Role.WRITE : Role.READ, (name, summary) ->
        extractMaterializer(mat -> extractRequest(request -> optionalHeaderValueByName("Git-Protocol", protocol ->
            completeWithFuture(exchange(tenant, name, summary, receive, request, protocol, mat))))));
  }

  /**
   * Runs one pack exchange. The response starts only once JGit writes its first byte, which it
   * does after reading the whole request: Pekko closes connections whose response starts before
   * the request body is consumed. The response is always completed, also when JGit fails.
   */
  private CompletableFuture<HttpResponse> exchange(
      String tenant, String name, Repo.Summary summary, boolean receive, HttpRequest request,
      Optional<String> protocol, Materializer mat) {
    InputStream body = request.entity().withoutSizeLimit().getDataBytes()
        .runWith(StreamConverters.asInputStream(STREAM_TIMEOUT), mat);
    boolean gzip = request.getHeader("Content-Encoding").map(h -> h.value().contains("gzip")).orElse(false);
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    ContentType.Binary type = receive ? RECEIVE_RESULT : UPLOAD_RESULT;
    // The response stream is made at the first write, not before: a pre-materialized stream that
    // waits longer than the subscription timeout for the server to take it (a big push takes
    // minutes to read) is cancelled.
    OutputStream signalling = new FirstWriteOutputStream(() -> {
      Pair<OutputStream, Source<ByteString, NotUsed>> out =
          StreamConverters.asOutputStream(STREAM_TIMEOUT).preMaterialize(mat);
      response.complete(HttpResponse.create().withEntity(HttpEntities.createChunked(type, out.second()))
          .addHeader(CacheControl.create(CacheDirectives.NO_CACHE)));
      return out.first();
    });
    blocking.execute(() -> {
      try (Repository repo = storage.open(tenant, name);
          InputStream in = gzip ? new GZIPInputStream(body, 64 * 1024) : body) {
        if (receive) {
          ReentrantLock refLock = refLocks.computeIfAbsent(Repo.entityId(tenant, name), k -> new ReentrantLock());
          try {
            receivePack(repo, tenant, name, summary, refLock).receive(in, signalling, null);
          } finally {
            if (refLock.isHeldByCurrentThread()) {
              refLock.unlock();
            }
          }
        } else {
          UploadPack up = new UploadPack(repo);
          up.setBiDirectionalPipe(false);
          up.setExtraParameters(protocolParameters(protocol));
          up.upload(in, signalling, null);
        }
      } catch (Throwable e) {
        system.log().warn("git {} on {}/{} failed: {}", receive ? "push" : "fetch", tenant, name, e.toString());
        response.complete(Problems.response(400, "git-failed", "Git request failed", String.valueOf(e.getMessage())));
      } finally {
        try {
          signalling.close();
        } catch (IOException ignored) {
          // the client went away; nothing left to tell it
        }
      }
    });
    return response;
  }

  /**
   * JGit runs the hooks in the thread that called {@code receive}. The pre-receive hook takes the
   * repository's ref lock (after the pack has been received: uploads are not serialised) and the
   * caller releases it after the post-receive hook has recorded the push.
   */
  private ReceivePack receivePack(Repository repo, String tenant, String name, Repo.Summary summary, ReentrantLock refLock) {
    ReceivePack rp = new ReceivePack(repo);
    rp.setBiDirectionalPipe(false);
    rp.setMaxPackSizeLimit(maxPushBytes);
    rp.setAtomic(false);
    rp.setPreReceiveHook((pack, commands) -> {
      refLock.lock();
      rejectStale(repo, commands);
      for (ReceiveCommand cmd : commands) {
        if (cmd.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED
            || !Repo.isProtected(summary.protectedBranches(), cmd.getRefName())) {
          continue;
        }
        String branch = Repository.shortenRefName(cmd.getRefName());
        if (cmd.getType() == ReceiveCommand.Type.DELETE) {
          reject(pack, cmd, "protected branch " + branch + " cannot be deleted");
        } else if (cmd.getType() == ReceiveCommand.Type.UPDATE_NONFASTFORWARD) {
          reject(pack, cmd, "protected branch " + branch + " cannot be force-pushed");
        }
      }
    });
    rp.setPostReceiveHook((pack, commands) -> {
      record(repo, tenant, name, commands);
      if (!commands.isEmpty()) {
        maintenance.afterPush(tenant, name);
      }
    });
    return rp;
  }

  /**
   * A command whose old id is no longer the ref's value lost a race with another push that was
   * accepted since this client read the refs: it gets git's usual non-fast-forward rejection
   * (the client then says to fetch first), never a lock failure.
   */
  private static void rejectStale(Repository repo, Collection<ReceiveCommand> commands) {
    for (ReceiveCommand cmd : commands) {
      if (cmd.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
        continue;
      }
      try {
        Ref ref = repo.exactRef(cmd.getRefName());
        ObjectId current = ref == null || ref.getObjectId() == null ? ObjectId.zeroId() : ref.getObjectId();
        if (!current.equals(cmd.getOldId())) {
          cmd.setResult(ReceiveCommand.Result.REJECTED_NONFASTFORWARD);
        }
      } catch (IOException e) {
        cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "cannot read " + cmd.getRefName());
      }
    }
  }

  private static void reject(ReceivePack pack, ReceiveCommand cmd, String why) {
    cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, why);
    pack.sendMessage(why);
  }

  /** Records what the push changed; on failure the entity is told to reconcile with the disk. */
  private void record(Repository repo, String tenant, String name, Collection<ReceiveCommand> commands) {
    EntityRef<Repo.Command> entity = sharding.entityRefFor(Repo.ENTITY_KEY, Repo.entityId(tenant, name));
    try {
      List<Repo.RefChange> changes = new ArrayList<>();
      for (ReceiveCommand cmd : commands) {
        String oldId = cmd.getOldId().equals(ObjectId.zeroId()) ? null : cmd.getOldId().name();
        String newId = cmd.getNewId().equals(ObjectId.zeroId()) ? null : cmd.getNewId().name();
        Repo.PushedCommits pushed = newId == null
            ? new Repo.PushedCommits(List.of(), 0)
            : GitStorage.commits(repo, oldId, newId, Repo.MAX_COMMITS);
        changes.add(new Repo.RefChange(cmd.getRefName(), oldId, newId, pushed.commits(), pushed.count()));
      }
      entity.<Done>askWithStatus(r -> new Repo.RecordRefUpdates(changes, r), askTimeout)
          .toCompletableFuture()
          .get(askTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      system.log().warn("push to {}/{} not recorded yet ({}); reconciling", tenant, name, e.toString());
      entity.tell(new Repo.Reconcile());
    }
  }

  /** Auth (Basic, token as password), tenant and role check, and the repository's existence. */
  private Route repository(String tenant, String repoGit, Role role, BiFunction<String, Repo.Summary, Route> inner) {
    if (!repoGit.endsWith(".git")) {
      return completeProblem(ProblemException.notFound("repository URLs end in .git").problem());
    }
    String name = repoGit.substring(0, repoGit.length() - 4);
    return basicAuthenticated(p -> {
      if (!Names.isValid(tenant) || !Names.isValid(name)) {
        return completeProblem(ProblemException.notFound("repository " + tenant + "/" + name + " not found").problem());
      }
      if (p.canSee(tenant) && !p.has(role)) {
        return completeProblem(ProblemException.forbidden("this needs a token with role " + role.id()).problem());
      }
      // Another tenant's token reads an internal repository and nothing else.
      boolean crossTenantRead = !p.canSee(tenant) && role == Role.READ && p.has(Role.READ);
      if (!p.canSee(tenant) && !crossTenantRead) {
        return completeProblem(ProblemException.notFound("repository " + tenant + "/" + name + " not found").problem());
      }
      return completeAsync(
          sharding.entityRefFor(Repo.ENTITY_KEY, Repo.entityId(tenant, name))
              .<Repo.Summary>askWithStatus(Repo.Get::new, askTimeout),
          summary -> {
            if (crossTenantRead && !"internal".equals(summary.visibility())) {
              throw ProblemException.notFound("repository " + tenant + "/" + name + " not found");
            }
            return inner.apply(name, summary);
          });
    });
  }

  /** git sends the token as the Basic password (any user name); 401 asks for credentials. */
  private Route basicAuthenticated(Function<Principal, Route> inner) {
    return authenticatedBy(
        GitRoutes::basicPassword,
        HttpChallenge.createBasic("DevFlow"),
        "credentials required: use a DevFlow token as the password",
        inner);
  }

  /** The password of a Basic Authorization header (git and the app router take a token there). */
  static Optional<String> basicPassword(String header) {
    if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    try {
      String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      return colon < 0 ? Optional.empty() : Optional.of(decoded.substring(colon + 1)).filter(s -> !s.isEmpty());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static List<String> protocolParameters(Optional<String> header) {
    return header.map(h -> Arrays.stream(h.split(":")).map(String::trim).filter(s -> !s.isEmpty()).toList())
        .orElse(List.of());
  }

  /**
   * Opens its target only when the first byte (or the close) arrives, so that the HTTP response
   * starts after JGit has read the request.
   */
  private static final class FirstWriteOutputStream extends OutputStream {
    private final Supplier<OutputStream> open;
    private OutputStream out;

    FirstWriteOutputStream(Supplier<OutputStream> open) {
      this.open = open;
    }

    private OutputStream out() {
      if (out == null) {
        out = open.get();
      }
      return out;
    }

    @Override
    public void write(int b) throws IOException {
      out().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (out != null) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      out().close();
    }
  }
}
