package dev.devflow.http;

import dev.devflow.actors.Names;
import dev.devflow.actors.deploy.AppEndpoints;
import dev.devflow.actors.deploy.Endpoint;
import dev.devflow.actors.deploy.RouteTable;
import dev.devflow.actors.tenant.Role;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.Host;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.StreamTcpException;

/**
 * The HTTP router in front of deployed apps: {@code /apps/{t}/{a}/...} (any method) is proxied to
 * one of the app's healthy instances, chosen round robin by the {@link RouteTable}, with the
 * {@code /apps/{t}/{a}} prefix stripped (the query kept) and the {@code X-Forwarded-*} headers set.
 * Request and response bodies stream through: neither is ever held whole.
 *
 * <p>Answers of its own are problems: 404 for an app the table does not know (after asking its
 * loader), 503 with Retry-After when the app has no healthy instance, 502 when the instance cannot
 * be reached (an idempotent request refused by one instance is tried once more on the next), 504
 * when it does not answer within the upstream timeout. A private app needs a token of its tenant
 * (Bearer, or Basic with the token as password), checked as the API checks tenant routes; that
 * token is not passed on to the app.
 *
 * <p>Mounted as one more route in {@link ApiRoutes#of}'s "other" list. Thread-safe: it holds no
 * per-request state; upstream connections come from Pekko's host connection pools.
 */
public final class AppRouter extends ApiDirectives {

  /**
   * @param upstreamTimeout  longest wait for an instance's response headers (the body then streams
   *     as long as it flows)
   * @param maxBodyBytes     largest request body passed on; larger ones fail the upload with 413
   * @param retryAfter       Retry-After of the 503 when an app has no healthy instance
   * @param maxConnectionsPerInstance open connections kept per instance (Pekko's default of 4 would
   *     queue any real load)
   */
  public record Settings(
      Duration upstreamTimeout, long maxBodyBytes, Duration retryAfter, int maxConnectionsPerInstance) {

    public static final Settings DEFAULT =
        new Settings(Duration.ofSeconds(60), 1L << 30, Duration.ofSeconds(5), 256);
  }

  public static final String LABEL = "/apps/{t}/{a}/…";

  /** RFC 9110 7.6.1 hop-by-hop fields, and what the router sets itself (lower case). */
  private static final Set<String> HOP_BY_HOP = Set.of(
      "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
      "trailer", "transfer-encoding", "upgrade");
  private static final Set<String> SET_BY_ROUTER = Set.of(
      "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-prefix",
      // Pekko's synthetic request headers, never sent on.
      "timeout-access", "remote-address", "tls-session-info");
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(
      HttpMethods.GET, HttpMethods.HEAD, HttpMethods.OPTIONS, HttpMethods.PUT, HttpMethods.DELETE);

  /** What the router never passes on, when the request names no more in Connection. */
  private static final Set<String> NOT_FORWARDED = union(HOP_BY_HOP, SET_BY_ROUTER);
  private static final Set<String> NOT_FORWARDED_PRIVATE = union(NOT_FORWARDED, Set.of("authorization"));

  private final RouteTable table;
  private final Settings settings;
  private final Http http;
  private final ConnectionPoolSettings pool;
  /** The host of each instance seen, parsed once (bounded: cleared when large). */
  private final ConcurrentHashMap<Endpoint, Host> hosts = new ConcurrentHashMap<>();
  private final LoggingAdapter log;
  private final Materializer materializer;

  public AppRouter(ActorSystem<?> system, Authenticator auth, RouteTable table) {
    this(system, auth, table, Settings.DEFAULT);
  }

  public AppRouter(ActorSystem<?> system, Authenticator auth, RouteTable table, Settings settings) {
    super(auth, settings.maxBodyBytes());
    this.table = table;
    this.settings = settings;
    this.http = Http.get(system);
    this.log = system.classicSystem().log();
    this.materializer = Materializer.matFromSystem(system);
    int connections = settings.maxConnectionsPerInstance();
    this.pool = ConnectionPoolSettings.create(system.classicSystem())
        .withMaxConnections(connections)
        .withMaxOpenRequests(Integer.highestOneBit(Math.max(1, connections) * 8))
        // The router retries itself, on another instance; the pool's retries (after a back-off
        // per failed connect) would hold a request seconds on a dead instance.
        .withMaxRetries(0)
        // Below the keep-alive of common app servers (Node: 5 s): a connection the app is about
        // to close is not reused.
        .withKeepAliveTimeout(scala.concurrent.duration.Duration.create(4, TimeUnit.SECONDS));
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("apps").slash(PathMatchers.segment()).slash(PathMatchers.segment()),
        (t, a) -> label(LABEL, () -> withRequestTimeout(
            settings.upstreamTimeout().plusSeconds(5), () -> app(t, a))));
  }

  private Route app(String t, String a) {
    if (!Names.isValid(t) || !Names.isValid(a)) {
      return notFound(t, a);
    }
    // The table nearly always knows the app: answer from it without waiting on a future (a hop
    // to another thread), and ask its loader only on a miss.
    Optional<AppEndpoints> known = table.get(t, a);
    return known.isPresent() ? app(t, a, known) : completeAsync(table.load(t, a), found -> app(t, a, found));
  }

  private Route app(String t, String a, Optional<AppEndpoints> found) {
    if (found.isEmpty()) {
      return notFound(t, a);
    }
    if (!found.get().privateApp()) {
      return forward(t, a, false);
    }
    return authenticatedBy(
        AppRouter::token,
        HttpChallenge.createBasic("DevFlow"),
        "app " + t + "/" + a + " is private: send a DevFlow token of tenant " + t,
        p -> tenantScope(p, t, Role.READ, () -> forward(t, a, true)));
  }

  private Route forward(String t, String a, boolean dropAuthorization) {
    return remoteAddress(client -> extractUnmatchedPath(rest -> extractRequest(request -> {
      Optional<Endpoint> first = table.next(t, a);
      if (first.isEmpty()) {
        long seconds = Math.max(1, settings.retryAfter().toSeconds());
        return complete(Problems.response(503, "app-unavailable", "App unavailable",
                "app " + t + "/" + a + " has no healthy instance; retry shortly")
            .addHeader(RetryAfter.create(seconds)));
      }
      String prefix = "/apps/" + t + "/" + a;
      // The instance's URI is set per attempt; path and query are parsed already.
      HttpRequest upstream = HttpRequest.create()
          .withUri(request.getUri().toRelative().path(rest.isEmpty() ? "/" : rest))
          .withMethod(request.method())
          .withHeaders(upstreamHeaders(request, client, prefix, dropAuthorization))
          // The javadsl types withSizeLimit as HttpEntity; the entity is still the request's kind.
          .withEntity((RequestEntity) request.entity().withSizeLimit(settings.maxBodyBytes()));
      boolean retry = IDEMPOTENT.contains(request.method());
      return completeWithFuture(send(first.get(), upstream)
          .exceptionallyCompose(error -> retry && refused(error)
              ? table.next(t, a)
                  .map(second -> send(second, upstream))
                  .orElseGet(() -> CompletableFuture.failedFuture(error))
              : CompletableFuture.failedFuture(error))
          .handle((response, error) -> error == null
              ? downstream(response)
              : failure(t, a, error)));
    })));
  }

  /** One attempt on one instance; fails with a TimeoutException after the upstream timeout. */
  private CompletableFuture<HttpResponse> send(Endpoint to, HttpRequest upstream) {
    if (hosts.size() > 4096) {
      hosts.clear();
    }
    Host host = hosts.computeIfAbsent(to, e -> Uri.create(
        "http://" + (e.host().indexOf(':') >= 0 ? "[" + e.host() + "]" : e.host())).host());
    Uri absolute = upstream.getUri().scheme("http").host(host).port(to.port());
    CompletableFuture<HttpResponse> sent = http
        .singleRequest(upstream.withUri(absolute), http.defaultClientHttpsContext(), pool, log)
        .toCompletableFuture();
    CompletableFuture<HttpResponse> timed =
        sent.copy().orTimeout(settings.upstreamTimeout().toMillis(), TimeUnit.MILLISECONDS);
    // A response that comes after the timeout is drained so that its connection can be reused.
    timed.whenComplete((r, e) -> {
      if (e != null) {
        sent.thenAccept(late -> late.discardEntityBytes(materializer));
      }
    });
    return timed;
  }

  private List<HttpHeader> upstreamHeaders(
      HttpRequest request, String client, String prefix, boolean dropAuthorization) {
    Set<String> drop = connectionTokens(
        request.getHeaders(), dropAuthorization ? NOT_FORWARDED_PRIVATE : NOT_FORWARDED);
    List<HttpHeader> out = new ArrayList<>();
    String forwardedFor = null;
    String host = null;
    for (HttpHeader h : request.getHeaders()) {
      String name = h.lowercaseName();
      if (name.equals("x-forwarded-for")) {
        forwardedFor = forwardedFor == null ? h.value() : forwardedFor + ", " + h.value();
      } else if (name.equals("host")) {
        host = h.value();
      }
      if (!drop.contains(name)) {
        out.add(h);
      }
    }
    if (client != null) {
      forwardedFor = forwardedFor == null ? client : forwardedFor + ", " + client;
    }
    if (forwardedFor != null) {
      out.add(RawHeader.create("X-Forwarded-For", forwardedFor));
    }
    out.add(RawHeader.create("X-Forwarded-Proto", request.getUri().scheme()));
    if (host == null) {
      host = request.getUri().host().address()
          + (request.getUri().port() > 0 ? ":" + request.getUri().port() : "");
    }
    out.add(RawHeader.create("X-Forwarded-Host", host));
    out.add(RawHeader.create("X-Forwarded-Prefix", prefix));
    return out;
  }

  private HttpResponse downstream(HttpResponse response) {
    Set<String> drop = connectionTokens(response.getHeaders(), HOP_BY_HOP);
    List<HttpHeader> kept = new ArrayList<>();
    for (HttpHeader h : response.getHeaders()) {
      if (!drop.contains(h.lowercaseName())) {
        kept.add(h);
      }
    }
    return response.withHeaders(kept).withEntity((ResponseEntity) response.entity().withoutSizeLimit());
  }

  /**
   * {@code always} plus the fields named in Connection, hop-by-hop too (RFC 9110 7.6.1); {@code
   * always} itself (no copy) when Connection names none beyond it.
   */
  private static Set<String> connectionTokens(Iterable<HttpHeader> headers, Set<String> always) {
    Set<String> drop = always;
    for (HttpHeader h : headers) {
      if (h.lowercaseName().equals("connection")) {
        for (String token : h.value().split(",")) {
          String name = token.trim().toLowerCase(Locale.ROOT);
          if (!drop.contains(name)) {
            drop = drop == always ? new HashSet<>(always) : drop;
            drop.add(name);
          }
        }
      }
    }
    return drop;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  private HttpResponse failure(String t, String a, Throwable error) {
    Throwable e = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (e instanceof TimeoutException) {
      return Problems.response(504, "app-timeout", "Gateway timeout",
          "app " + t + "/" + a + " did not answer within " + settings.upstreamTimeout().toSeconds() + " s");
    }
    log.warning("app {}/{} could not be reached: {}", t, a, e.toString());
    return Problems.response(502, "app-unreachable", "Bad gateway", "app " + t + "/" + a + " could not be reached");
  }

  /** True when the instance refused or could not take the connection: nothing of the request was sent. */
  private static boolean refused(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof ConnectException) {
        return true;
      }
      if (e instanceof StreamTcpException && String.valueOf(e.getMessage()).contains("Connect(")) {
        return true;
      }
    }
    return false;
  }

  private Route notFound(String t, String a) {
    return completeProblem(ProblemException.notFound("app " + t + "/" + a + " not found").problem());
  }

  private static Optional<String> token(String header) {
    return bearer(header).or(() -> GitRoutes.basicPassword(header));
  }
}
