package dev.devflow.http;

import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The whole route tree of a node: service routes, git smart HTTP, then {@code /api/v1/...}, instrumented for
 * metrics, with every rejection and exception answered as problem+json.
 */
public final class ApiRoutes extends AllDirectives {

  private ApiRoutes() {}

  public static Route of(
      HttpMetrics metrics, ServiceRoutes service, TenantRoutes tenants, RepoRoutes repos, FeedRoutes feed,
      WebhookRoutes webhooks, GitRoutes git) {
    ApiRoutes d = new ApiRoutes();
    Route api = d.pathPrefix("api", () -> d.pathPrefix("v1", () -> d.concat(
        service.clusterRoute(),
        tenants.route(),
        d.pathPrefix("tenants", () -> d.pathPrefix(PathMatchers.segment(), t -> d.concat(repos.route(t), feed.route(t), webhooks.route(t)))))));
    return metrics.instrument(
        d.handleExceptions(
            Problems.exceptionHandler(),
            () -> d.handleRejections(Problems.rejectionHandler(), () -> d.concat(service.route(), git.route(), api))));
  }
}
