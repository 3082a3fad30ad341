package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.Names;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.actors.tenant.Role;
import dev.devflow.actors.tenant.Tenant;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tenants} and the tenant's tokens (API.md "Tenants and tokens").
 *
 * <p>Creating a tenant and changing its plan (billing) need the cluster admin token; a tenant's
 * own admin token may rename it and manage its tokens; any token of the tenant may read it.
 */
public final class TenantRoutes extends ApiDirectives {

  /** POST /tenants body. */
  public record CreateTenant(String name, String displayName, String plan) {}

  /** PATCH /tenants/{t} body. */
  public record UpdateTenant(String displayName, String plan) {}

  /** POST /tenants/{t}/tokens body. */
  public record CreateToken(String name, String role) {}

  public record TenantView(String name, String displayName, String plan, Instant createdAt) {
    static TenantView of(Tenant.Summary s) {
      return new TenantView(s.name(), s.displayName(), s.plan().id(), s.createdAt());
    }
  }

  /** {@code token} (the clear value) is present only in the response that created it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TokenView(String id, String name, String role, Instant createdAt, String token) {
    static TokenView of(Tenant.TokenInfo t, String token) {
      return new TokenView(t.id(), t.name(), t.role().id(), t.createdAt(), token);
    }
  }

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  public TenantRoutes(ActorSystem<?> system, Authenticator authenticator, long maxBodyBytes, Duration askTimeout) {
    super(authenticator, maxBodyBytes);
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  public Route route() {
    return pathPrefix(
        "tenants",
        () ->
            concat(
                pathEnd(() -> label("/api/v1/tenants", () -> post(() -> authenticated(p ->
                    audited(p, null, "tenant.create", "tenants", () -> createTenant(p)))))),
                pathPrefix(
                    PathMatchers.segment(),
                    t ->
                        concat(
                            pathEnd(
                                () ->
                                    label(
                                        "/api/v1/tenants/{t}",
                                        () ->
                                            concat(
                                                get(() -> authenticated(p -> getTenant(p, t))),
                                                patch(() -> authenticated(p ->
                                                    audited(p, t, "tenant.update", "settings", () -> updateTenant(p, t))))))),
                            pathPrefix(
                                "tokens",
                                () ->
                                    concat(
                                        pathEnd(
                                            () ->
                                                label(
                                                    "/api/v1/tenants/{t}/tokens",
                                                    () ->
                                                        concat(
                                                            post(() -> authenticated(p ->
                                                                audited(p, t, "token.issue", "tokens", () -> createToken(p, t)))),
                                                            get(() -> authenticated(p -> listTokens(p, t)))))),
                                        path(
                                            PathMatchers.segment(),
                                            id ->
                                                label(
                                                    "/api/v1/tenants/{t}/tokens/{id}",
                                                    () -> delete(() -> authenticated(p -> audited(p, t, "token.revoke", "tokens/" + id,
                                                        () -> revokeToken(p, t, id))))))))))));
  }

  private Route createTenant(Principal p) {
    if (!p.clusterAdmin()) {
      return completeProblem(ProblemException.forbidden("creating a tenant needs the admin token").problem());
    }
    return jsonBody(
        CreateTenant.class,
        body -> {
          if (!Names.isValid(body.name())) {
            throw ProblemException.invalid(
                "name", "name must match " + Names.PATTERN.pattern() + ", got " + quoted(body.name()));
          }
          validateDisplayName(body.displayName());
          Plan plan = body.plan() == null ? Plan.FREE : plan(body.plan());
          return completeAsync(
              tenant(body.name())
                  .<Tenant.Summary>askWithStatus(r -> new Tenant.Create(body.displayName(), plan, r), askTimeout),
              s -> respondWithHeader(
                  Location.create("/api/v1/tenants/" + s.name()),
                  () -> completeJson(StatusCodes.CREATED, TenantView.of(s))));
        });
  }

  private Route getTenant(Principal p, String t) {
    return tenantScope(
        p, t, Role.READ,
        () -> completeAsync(
            tenant(t).<Tenant.Summary>askWithStatus(Tenant.Get::new, askTimeout),
            s -> completeJson(StatusCodes.OK, TenantView.of(s))));
  }

  private Route updateTenant(Principal p, String t) {
    return tenantScope(
        p, t, Role.ADMIN,
        () -> jsonBody(
            UpdateTenant.class,
            body -> {
              validateDisplayName(body.displayName());
              Plan plan = body.plan() == null ? null : plan(body.plan());
              if (plan != null && !p.clusterAdmin()) {
                throw ProblemException.forbidden("changing the plan needs the admin token");
              }
              return completeAsync(
                  tenant(t).<Tenant.Summary>askWithStatus(r -> new Tenant.Update(body.displayName(), plan, r), askTimeout),
                  s -> completeJson(StatusCodes.OK, TenantView.of(s)));
            }));
  }

  private Route createToken(Principal p, String t) {
    return tenantScope(
        p, t, Role.ADMIN,
        () -> jsonBody(
            CreateToken.class,
            body -> {
              if (body.name() == null || body.name().isBlank() || body.name().length() > 100) {
                throw ProblemException.invalid("name", "name is required, 1 to 100 characters");
              }
              if (body.role() == null) {
                throw ProblemException.invalid("role", "role is required: one of " + roleIds());
              }
              Role role =
                  Role.parse(body.role())
                      .orElseThrow(
                          () -> ProblemException.invalid(
                              "role", "unknown role " + quoted(body.role()) + "; one of " + roleIds()));
              return completeAsync(
                  tenant(t).<Tenant.IssuedToken>askWithStatus(r -> new Tenant.IssueToken(body.name(), role, r), askTimeout),
                  issued -> respondWithHeader(
                      Location.create("/api/v1/tenants/" + t + "/tokens/" + issued.info().id()),
                      () -> completeJson(StatusCodes.CREATED, TokenView.of(issued.info(), issued.token()))));
            }));
  }

  private Route listTokens(Principal p, String t) {
    return tenantScope(
        p, t, Role.ADMIN,
        () -> completeAsync(
            tenant(t).<Tenant.TokenList>askWithStatus(Tenant.ListTokens::new, askTimeout),
            list -> completeJson(
                StatusCodes.OK,
                Map.of("items", list.tokens().stream().map(i -> TokenView.of(i, null)).toList()))));
  }

  private Route revokeToken(Principal p, String t, String id) {
    return tenantScope(
        p, t, Role.ADMIN,
        () -> completeAsync(
            tenant(t).<Done>askWithStatus(r -> new Tenant.RevokeToken(id, r), askTimeout),
            done -> {
              authenticator.forget(t, id);
              return complete(StatusCodes.NO_CONTENT);
            }));
  }

  private EntityRef<Tenant.Command> tenant(String name) {
    return sharding.entityRefFor(Tenant.ENTITY_KEY, name);
  }

  private static Plan plan(String id) {
    return Plan.parse(id)
        .orElseThrow(
            () -> ProblemException.invalid(
                "plan", "unknown plan " + quoted(id) + "; one of " + List.of(Plan.values()).stream().map(Plan::id).toList()));
  }

  private static void validateDisplayName(String displayName) {
    if (displayName != null && (displayName.isBlank() || displayName.length() > 200)) {
      throw ProblemException.invalid("displayName", "displayName must be 1 to 200 characters");
    }
  }

  private static List<String> roleIds() {
    return List.of(Role.values()).stream().map(Role::id).toList();
  }

  private static String quoted(String s) {
    return s == null ? "nothing" : "'" + s + "'";
  }
}
