package dev.devflow.http;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The whole route tree of a node: service routes, routes of their own paths (git smart HTTP,
 * Unleash's client API), then {@code /api/v1/...} with the per-tenant areas under
 * {@code /api/v1/tenants/{t}}, instrumented for metrics, with every rejection and exception
 * answered as problem+json.
 */
public final class ApiRoutes extends AllDirectives {

  private ApiRoutes() {}

  public static Route of(
      HttpMetrics metrics, ServiceRoutes service, TenantRoutes tenants, List<Function<String, Route>> perTenant,
      List<Route> other) {
    ApiRoutes d = new ApiRoutes();
    Route api = d.pathPrefix("api", () -> d.pathPrefix("v1", () -> d.concat(
        service.clusterRoute(),
        tenants.route(),
        d.pathPrefix("tenants", () -> d.pathPrefix(PathMatchers.segment(), t ->
            d.any(perTenant.stream().map(r -> r.apply(t)).toList()))))));
    List<Route> all = new ArrayList<>();
    all.add(service.route());
    all.addAll(other);
    all.add(api);
    return metrics.instrument(
        d.handleExceptions(
            Problems.exceptionHandler(), () -> d.handleRejections(Problems.rejectionHandler(), () -> d.any(all))));
  }

  /** The first of {@code routes} that takes the request. */
  private Route any(List<Route> routes) {
    return concat(routes.get(0), routes.subList(1, routes.size()).toArray(Route[]::new));
  }
}
