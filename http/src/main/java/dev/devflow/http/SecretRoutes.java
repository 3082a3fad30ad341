package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.tenant.Role;
import dev.devflow.actors.tenant.Tenant;
import dev.devflow.persistence.secrets.SecretInfo;
import dev.devflow.persistence.secrets.SecretStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Tenant- and repository-tier secrets (API.md "Secrets"): put, delete, and lists of names —
 * never values, which only jobs receive. Writes need an admin token, lists a write token.
 *
 * <p>A change is stored encrypted first, then recorded on the Tenant entity, which puts
 * {@code secret.changed} (without the value) on the feed.
 */
public final class SecretRoutes extends ApiDirectives {

  /**
   * API.md's names plus GitHub's ({@code NPM_TOKEN}): secrets are used as environment variables
   * and as {@code secrets.NAME}, where upper case and underscores are the norm.
   */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}");

  public record PutSecret(String value) {}

  /** {@code repo} only on the repository tier; {@code updatedAt}/{@code updatedBy} not on the system tier. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecretView(String name, String tier, String repo, Instant updatedAt, String updatedBy) {
    static SecretView of(SecretInfo i) {
      return new SecretView(i.name(), i.repo().isEmpty() ? "tenant" : "repository",
          i.repo().isEmpty() ? null : i.repo(), i.updatedAt(), i.updatedBy());
    }
  }

  private final ClusterSharding sharding;
  private final SecretStore store;
  /** The system tier's names; may throw when a provider fails (the list then says why). */
  private final Supplier<List<String>> system;
  private final long maxValueBytes;
  private final Duration askTimeout;
  private final Executor blocking;

  public SecretRoutes(ActorSystem<?> system, Authenticator authenticator, SecretStore store,
      Supplier<List<String>> systemNames, long maxValueBytes, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.system = systemNames;
    this.maxValueBytes = maxValueBytes;
    this.askTimeout = askTimeout;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    Route tenantTier = pathPrefix("secrets", () -> concat(
        pathEnd(() -> label("/api/v1/tenants/{t}/secrets", () ->
            get(() -> authenticated(p -> tenantScope(p, t, Role.WRITE, () -> list(t, null)))))),
        path(PathMatchers.segment(), name -> label("/api/v1/tenants/{t}/secrets/{name}", () -> one(t, "", name)))));
    Route repoTier = pathPrefix("repos", () -> pathPrefix(PathMatchers.segment(), r -> pathPrefix("secrets", () ->
        concat(
            pathEnd(() -> label("/api/v1/tenants/{t}/repos/{r}/secrets", () ->
                get(() -> authenticated(p -> tenantScope(p, t, Role.WRITE, () ->
                    withRepo(sharding, askTimeout, t, r, s -> list(t, r))))))),
            path(PathMatchers.segment(), name -> label("/api/v1/tenants/{t}/repos/{r}/secrets/{name}", () ->
                one(t, r, name)))))));
    return concat(tenantTier, repoTier);
  }

  private Route one(String t, String repo, String name) {
    String resource = (repo.isEmpty() ? "" : "repos/" + repo + "/") + "secrets/" + name;
    return concat(
        put(() -> authenticated(p -> audited(p, t, "secret.put", resource, () -> tenantScope(p, t, Role.ADMIN, () ->
            inRepo(t, repo, () -> jsonBody(PutSecret.class, body -> {
              checkName(name);
              if (body.value() == null) {
                throw ProblemException.invalid("value", "value is required");
              }
              int size = body.value().getBytes(StandardCharsets.UTF_8).length;
              if (size > maxValueBytes) {
                return completeProblem(new Problem(Problem.TYPE_BASE + "payload-too-large", "Payload too large", 413,
                    "value is " + size + " bytes; the limit is " + maxValueBytes, "value"));
              }
              return completeAsync(
                  tenantExists(t)
                      .thenCompose(ok -> CompletableFuture.supplyAsync(
                          () -> store.put(t, repo, name, body.value(), by(p)), blocking))
                      .thenCompose(created -> recorded(t, repo, name, false, p)),
                  done -> complete(StatusCodes.NO_CONTENT));
            })))))),
        delete(() -> authenticated(p -> audited(p, t, "secret.delete", resource, () -> tenantScope(p, t, Role.ADMIN,
            () -> inRepo(t, repo, () -> {
              checkName(name);
              return completeAsync(
                  CompletableFuture.supplyAsync(() -> store.delete(t, repo, name), blocking).thenCompose(existed -> {
                    if (!existed) {
                      throw ProblemException.notFound("secret " + name + " not found");
                    }
                    return recorded(t, repo, name, true, p);
                  }),
                  done -> complete(StatusCodes.NO_CONTENT));
            }))))));
  }

  /** Names, tiers and change times: the system tier, the tenant's, and (for a repository) its own. */
  private Route list(String t, String repo) {
    CompletionStage<Map<String, Object>> items = CompletableFuture.supplyAsync(() -> {
      List<SecretView> views = new ArrayList<>();
      String systemError = null;
      try {
        system.get().stream().sorted().forEach(n -> views.add(new SecretView(n, "system", null, null, null)));
      } catch (RuntimeException e) {
        systemError = e.getMessage();
      }
      (repo == null ? store.list(t) : store.list(t, repo)).forEach(i -> views.add(SecretView.of(i)));
      return systemError == null ? Map.<String, Object>of("items", views)
          : Map.<String, Object>of("items", views, "systemError", systemError);
    }, blocking);
    return completeAsync(items, body -> completeJson(StatusCodes.OK, body));
  }

  private Route inRepo(String t, String repo, Supplier<Route> inner) {
    return repo.isEmpty() ? inner.get() : withRepo(sharding, askTimeout, t, repo, s -> inner.get());
  }

  private CompletionStage<Tenant.Summary> tenantExists(String t) {
    return sharding.entityRefFor(Tenant.ENTITY_KEY, t).askWithStatus(Tenant.Get::new, askTimeout);
  }

  private CompletionStage<Done> recorded(String t, String repo, String name, boolean deleted, Principal p) {
    return sharding.entityRefFor(Tenant.ENTITY_KEY, t).askWithStatus(
        r -> new Tenant.RecordSecretChange(repo, name, deleted, p.tokenId(), p.tokenName(), r), askTimeout);
  }

  private static String by(Principal p) {
    return p.tokenName() + " (" + p.tokenId() + ")";
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw ProblemException.invalid("name", "secret names match " + NAME.pattern() + ", got '" + name + "'");
    }
  }
}
