package dev.devflow.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.devflow.actors.tenant.Role;
import dev.devflow.persistence.audit.AuditEntry;
import dev.devflow.persistence.audit.AuditQuery;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The audit log, newest first: {@code /api/v1/tenants/{t}/audit} (tenant admin) and
 * {@code /api/v1/audit} (cluster-level actions, admin token). Filters {@code action},
 * {@code actor} (token id), {@code resource} (prefix), {@code result}, {@code since} /
 * {@code until} (RFC 3339), {@code limit} (1-500, default 100) and {@code cursor}.
 */
public final class AuditRoutes extends ApiDirectives {

  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 500;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record EntryView(long id, Instant at, Map<String, String> actor, String action, String resource,
      String remote, String result, Integer status) {
    static EntryView of(AuditEntry e) {
      return new EntryView(e.id(), e.at(), Map.of("id", e.actorId(), "name", e.actorName()), e.action(),
          e.resource(), e.remote(), e.result(), e.status());
    }
  }

  private final AuditLog audit;
  private final Executor blocking;

  public AuditRoutes(ActorSystem<?> system, Authenticator authenticator) {
    super(authenticator, 0);
    this.audit = authenticator.audit();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Mounted under {@code /api/v1/tenants/{t}}. */
  public Route route(String t) {
    return path("audit", () -> label("/api/v1/tenants/{t}/audit", () -> get(() -> authenticated(p ->
        tenantScope(p, t, Role.ADMIN, () -> entries(t))))));
  }

  /** {@code /api/v1/audit}: actions outside any tenant. */
  public Route clusterRoute() {
    return pathPrefix("api", () -> pathPrefix("v1", () -> path("audit", () -> label("/api/v1/audit", () ->
        get(() -> authenticated(p -> {
          if (!p.clusterAdmin()) {
            return completeProblem(ProblemException.forbidden("the cluster audit log needs the admin token").problem());
          }
          return entries(null);
        }))))));
  }

  private Route entries(String tenant) {
    return parameterMap(params -> {
      String result = params.get("result");
      if (result != null && !List.of("ok", "denied", "failed").contains(result)) {
        throw ProblemException.invalid("result", "result is one of ok, denied, failed; got '" + result + "'");
      }
      AuditQuery q = new AuditQuery(params.get("action"), params.get("actor"), params.get("resource"), result, time(params, "since"), time(params, "until"), cursor(params.get("cursor")),
          limit(params.get("limit")));
      return completeAsync(CompletableFuture.supplyAsync(() -> audit.store().read(tenant, q), blocking), entries -> {
        Map<String, Object> body = new LinkedHashMap<>();
        List<EntryView> items = entries.stream().map(EntryView::of).toList();
        body.put("items", items);
        if (items.size() == q.limit()) {
          body.put("next", String.valueOf(items.get(items.size() - 1).id()));
        }
        return completeJson(StatusCodes.OK, body);
      });
    });
  }

  private static Instant time(Map<String, String> params, String name) {
    String v = params.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw ProblemException.invalid(name, name + " must be an RFC 3339 time such as 2026-11-27T10:00:00Z, got '" + v + "'");
    }
  }

  private static Long cursor(String v) {
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ProblemException.invalid("cursor", "cursor must be the 'next' value of a previous page");
    }
  }

  private static int limit(String v) {
    if (v == null) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ProblemException.invalid("limit", "limit must be 1 to " + MAX_LIMIT + ", got '" + v + "'");
  }
}
