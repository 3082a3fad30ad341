package dev.devflow.http;

import dev.devflow.actors.Names;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.audit.AuditEntry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Complete;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Directives every resource area uses: authentication and the tenant check, JSON bodies with the
 * size limit, JSON and problem completion, and the route label for metrics. Route classes extend
 * this so that no route repeats auth or error handling.
 */
public abstract class ApiDirectives extends AllDirectives {

  /** How much of an oversized body is read and thrown away so that the 413 reaches the client. */
  private static final long DRAIN_LIMIT = 64L * 1024 * 1024;

  protected final Authenticator authenticator;
  protected final long maxBodyBytes;

  protected ApiDirectives(Authenticator authenticator, long maxBodyBytes) {
    this.authenticator = authenticator;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** 401 without a valid bearer token; otherwise the inner route with the caller. */
  protected Route authenticated(Function<Principal, Route> inner) {
    return authenticatedBy(
        ApiDirectives::bearer, HttpChallenge.create("Bearer", "DevFlow"), "missing bearer token", inner);
  }

  /**
   * Authenticates the token that {@code tokenOf} finds in the Authorization header; without one,
   * or with one that is not valid, answers 401 with {@code challenge}.
   */
  protected Route authenticatedBy(
      Function<String, Optional<String>> tokenOf,
      HttpChallenge challenge,
      String missing,
      Function<Principal, Route> inner) {
    return remoteAddress(address -> optionalHeaderValueByName(
        "Authorization",
        header -> {
          Optional<Duration> wait = authenticator.failures().waitFor(address);
          if (wait.isPresent()) {
            long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
            return complete(Problems.response(429, "too-many-failed-logins", "Too Many Requests",
                    "too many failed authentications from " + address + "; try again in " + seconds + " s")
                .addHeader(RetryAfter.create(seconds)));
          }
          Optional<String> token = header.flatMap(tokenOf);
          if (token.isEmpty()) {
            return unauthorized(challenge, missing);
          }
          return onComplete(
              authenticator.authenticate(token.get()),
              result -> {
                if (result.isFailure()) {
                  return completeProblem(Problems.of(result.failed().get()));
                }
                return result.get().map(inner).orElseGet(() -> {
                  authenticator.failures().failed(address);
                  return unauthorized(challenge, "invalid or revoked token");
                });
              });
        }));
  }

  /**
   * The connection's peer address (never X-Forwarded-For, which the caller chooses), or null
   * when the server does not know it.
   */
  protected Route remoteAddress(Function<String, Route> inner) {
    return extractRequest(request -> inner.apply(request.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(r -> r.getAddress().map(InetAddress::getHostAddress))
        .orElse(null)));
  }

  /**
   * Records the action in the audit log once the inner route has answered (before the response
   * leaves), with its outcome: denied (another tenant, a role too weak), refused as bad input or
   * missing, done. An attempt on a tenant the caller may not see is logged in the caller's own
   * tenant, not the target's. A created object's own path (its Location) is the resource.
   *
   * @param resource the object acted on, relative to the tenant ({@code repos/web}, {@code secrets/X})
   */
  protected Route audited(Principal p, String tenant, String action, String resource, Supplier<Route> inner) {
    boolean foreign = tenant != null && !p.canSee(tenant);
    String logTenant = foreign ? p.tenant() : tenant;
    return remoteAddress(address -> mapRouteResultFuture(
        future -> future.handle((result, error) -> {
          int status = error != null ? Problems.of(error).status()
              : result instanceof Complete c ? c.getResponse().status().intValue() : 404;
          String what = foreign ? "tenants/" + tenant + "/" + resource : created(result, tenant).orElse(resource);
          AuditEntry entry = AuditEntry.of(logTenant, p.tokenId(), p.tokenName(), action, what, address, status);
          return authenticator.audit()
              .record(foreign ? entry.withResult("denied") : entry)
              .thenCompose(done -> error == null
                  ? CompletableFuture.completedFuture(result)
                  : CompletableFuture.<RouteResult>failedFuture(error));
        }).thenCompose(f -> f),
        inner));
  }

  /** The path of what a 201 created, relative to its tenant ({@code repos/web}). */
  private static Optional<String> created(RouteResult result, String tenant) {
    if (!(result instanceof Complete c) || c.getResponse().status().intValue() != 201) {
      return Optional.empty();
    }
    String base = tenant == null ? "/api/v1/" : "/api/v1/tenants/" + tenant + "/";
    return c.getResponse().getHeader(Location.class)
        .map(l -> l.getUri().path())
        .filter(path -> path.startsWith(base))
        .map(path -> path.substring(base.length()));
  }

  /**
   * The tenant check for {@code /tenants/{t}/...}: an invalid name is a 400, a tenant the caller
   * may not see a 404 (its existence is not revealed), a role too weak a 403.
   */
  protected Route tenantScope(Principal p, String tenant, Role required, Supplier<Route> inner) {
    if (!Names.isValid(tenant)) {
      return completeProblem(ProblemException.invalid("tenant", "invalid tenant name '" + tenant + "'").problem());
    }
    if (!p.canSee(tenant)) {
      return completeProblem(ProblemException.notFound("tenant " + tenant + " not found").problem());
    }
    if (!p.has(required)) {
      return completeProblem(
          ProblemException.forbidden("this needs a token with role " + required.id()).problem());
    }
    return inner.get();
  }

  /**
   * The repository {@code t/r} (after the tenant check): an invalid name or a repository that does
   * not exist is a 404, like one of another tenant.
   */
  protected Route withRepo(ClusterSharding sharding, Duration askTimeout, String t, String r,
      Function<Repo.Summary, Route> inner) {
    if (!Names.isValid(r)) {
      return completeProblem(ProblemException.notFound("repository " + t + "/" + r + " not found").problem());
    }
    return completeAsync(sharding.entityRefFor(Repo.ENTITY_KEY, t + "/" + r)
        .<Repo.Summary>askWithStatus(Repo.Get::new, askTimeout), inner::apply);
  }

  /**
   * Completes when the repository {@code t/r} exists; one that does not is the request body's
   * fault (400 naming {@code field}), not a missing resource: for bodies that name a repository.
   */
  protected static CompletionStage<Void> repoNamedInBody(ClusterSharding sharding, Duration askTimeout, String t,
      String r, String field) {
    return sharding.entityRefFor(Repo.ENTITY_KEY, t + "/" + r).<Repo.Summary>askWithStatus(Repo.Get::new, askTimeout)
        .<Void>thenApply(s -> null)
        .exceptionally(error -> {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (Rejection.of(cause) == Rejection.NOT_FOUND) {
            throw ProblemException.invalid(field, "repository " + t + "/" + r + " does not exist");
          }
          throw error instanceof CompletionException ce ? ce : new CompletionException(error);
        });
  }

  /**
   * Reads the whole body and parses it as {@code type}. A body over {@code maxBodyBytes} is a 413,
   * answered only after the rest of it has been read (up to {@link #DRAIN_LIMIT} more): answering
   * while the client still sends makes Pekko close the connection, and the client then sees a
   * reset instead of the 413.
   */
  protected <T> Route jsonBody(Class<T> type, Function<T, Route> inner) {
    return extractMaterializer(
        mat ->
            extractRequestEntity(
                entity -> entity instanceof HttpEntity.Strict strict && strict.getData().size() <= maxBodyBytes
                    // Small bodies arrive whole: no stream to run (the common case, and much cheaper).
                    ? inner.apply(Json.parse(strict.getData().utf8String(), type))
                    : onComplete(
                        entity
                            .withoutSizeLimit()
                            .getDataBytes()
                            .runFold(new BoundedBody(maxBodyBytes), BoundedBody::add, mat)
                            .thenApply(body -> Json.parse(body.utf8(), type)),
                        parsed ->
                            parsed.isSuccess()
                                ? inner.apply(parsed.get())
                                : completeProblem(Problems.of(parsed.failed().get())))));
  }

  /** Keeps up to {@code limit} bytes; beyond that only counts, and gives up at the drain limit. */
  private static final class BoundedBody {
    private final long limit;
    private final ByteStringBuilder bytes = new ByteStringBuilder();
    private long size;

    BoundedBody(long limit) {
      this.limit = limit;
    }

    BoundedBody add(ByteString chunk) {
      size += chunk.size();
      if (size > limit + DRAIN_LIMIT) {
        throw new EntityStreamSizeException(limit, scala.Option.apply(size));
      }
      if (size <= limit) {
        bytes.append(chunk);
      }
      return this;
    }

    String utf8() {
      if (size > limit) {
        throw new EntityStreamSizeException(limit, scala.Option.apply(size));
      }
      return bytes.result().utf8String();
    }
  }

  protected Route completeJson(StatusCode status, Object body) {
    return complete(status, body, Json.marshaller());
  }

  /** Completes with the mapped value, or with the problem the failure stands for. */
  protected <T> Route completeAsync(CompletionStage<T> future, Function<T, Route> onSuccess) {
    return onComplete(
        future,
        result ->
            result.isSuccess() ? onSuccess.apply(result.get()) : completeProblem(Problems.of(result.failed().get())));
  }

  protected Route completeProblem(Problem problem) {
    return complete(Problems.response(problem));
  }

  /** Names the route template for the request metrics (never the raw path: bounded labels). */
  protected Route label(String template, Supplier<Route> inner) {
    return extractRequest(
        request -> {
          request.getAttribute(HttpMetrics.ROUTE).ifPresent(l -> l.template = template);
          return inner.get();
        });
  }

  private Route unauthorized(HttpChallenge challenge, String detail) {
    return complete(
        Problems.response(401, "unauthorized", "Unauthorized", detail)
            .addHeader(WWWAuthenticate.create(challenge)));
  }

  static Optional<String> bearer(String header) {
    if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(header.substring(7).trim());
    }
    return Optional.empty();
  }
}
