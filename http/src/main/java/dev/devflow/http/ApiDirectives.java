package dev.devflow.http;

import dev.devflow.actors.Names;
import dev.devflow.actors.tenant.Role;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Directives every resource area uses: authentication and the tenant check, JSON bodies with the
 * size limit, JSON and problem completion, and the route label for metrics. Route classes extend
 * this so that no route repeats auth or error handling.
 */
public abstract class ApiDirectives extends AllDirectives {

  private static final Duration BODY_READ_TIMEOUT = Duration.ofSeconds(30);

  protected final Authenticator authenticator;
  protected final long maxBodyBytes;

  protected ApiDirectives(Authenticator authenticator, long maxBodyBytes) {
    this.authenticator = authenticator;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** 401 without a valid bearer token; otherwise the inner route with the caller. */
  protected Route authenticated(Function<Principal, Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          Optional<String> token = header.flatMap(ApiDirectives::bearer);
          if (token.isEmpty()) {
            return unauthorized("missing bearer token");
          }
          return onComplete(
              authenticator.authenticate(token.get()),
              result -> {
                if (result.isFailure()) {
                  return completeProblem(Problems.of(result.failed().get()));
                }
                return result.get().map(inner).orElseGet(() -> unauthorized("invalid or revoked token"));
              });
        });
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

  /** Reads the whole body (at most {@code maxBodyBytes}, else 413) and parses it as {@code type}. */
  protected <T> Route jsonBody(Class<T> type, Function<T, Route> inner) {
    return extractMaterializer(
        mat ->
            extractRequestEntity(
                entity ->
                    onComplete(
                        entity
                            .withSizeLimit(maxBodyBytes)
                            .toStrict(BODY_READ_TIMEOUT.toMillis(), maxBodyBytes, mat)
                            .thenApply(strict -> Json.parse(strict.getData().utf8String(), type)),
                        parsed ->
                            parsed.isSuccess()
                                ? inner.apply(parsed.get())
                                : completeProblem(Problems.of(parsed.failed().get())))));
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

  private Route unauthorized(String detail) {
    HttpResponse response =
        Problems.response(401, "unauthorized", "Unauthorized", detail)
            .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "DevFlow")));
    return complete(response);
  }

  private static Optional<String> bearer(String header) {
    if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(header.substring(7).trim());
    }
    return Optional.empty();
  }
}
