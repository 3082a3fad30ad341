package dev.devflow.cluster;

import dev.devflow.actors.flag.FlagEvaluation;
import dev.devflow.actors.repo.GitMaintenance;
import dev.devflow.actors.flag.experiment.ExposureRecorder;
import dev.devflow.http.AgentRoutes;
import dev.devflow.http.AnalyticsRoutes;
import dev.devflow.http.AppRouter;
import dev.devflow.http.AppRoutes;
import dev.devflow.http.ApiRoutes;
import dev.devflow.http.AuditLog;
import dev.devflow.http.AuditRoutes;
import dev.devflow.http.AuthFailures;
import dev.devflow.http.Authenticator;
import dev.devflow.http.ClusterMetrics;
import dev.devflow.http.FeedRoutes;
import dev.devflow.http.FlagRoutes;
import dev.devflow.http.GitRoutes;
import dev.devflow.http.HttpMetrics;
import dev.devflow.http.HttpServer;
import dev.devflow.http.PipelineRoutes;
import dev.devflow.http.RepoRoutes;
import dev.devflow.http.SecretRoutes;
import dev.devflow.http.ServiceRoutes;
import dev.devflow.http.TenantRoutes;
import dev.devflow.http.UnleashRoutes;
import dev.devflow.http.WebhookRoutes;
import dev.devflow.persistence.AdminTokenStore;
import dev.devflow.persistence.StoreException;
import dev.devflow.persistence.analytics.AnalyticsStore;
import dev.devflow.persistence.unleash.UnleashInstanceStore;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** The HTTP side of a node with the {@code api} role: authentication, metrics, every route. */
final class ApiServer {

  private static final Duration ADMIN_TOKEN_REFRESH = Duration.ofSeconds(30);

  private ApiServer() {}

  /** Binds the server; completes with the bound port. */
  static CompletionStage<Integer> start(
      ActorSystem<?> system, NodeSettings settings, NodeServices node, String adminTokenHash) {
    Authenticator auth = new Authenticator(
        system, adminHash(system, node, adminTokenHash)::get, settings.tokenCacheTtl(), settings.askTimeout(),
        new AuthFailures(settings.authFailures()), new AuditLog(node.audit(), node.blocking()));
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    ClusterMetrics.register(registry, system, NodeServices.ENTITY_TYPES);
    HttpMetrics metrics = new HttpMetrics(registry);
    ServiceRoutes service = new ServiceRoutes(system, auth, metrics,
        () -> CompletableFuture.supplyAsync(node.db()::answers, node.blocking()), NodeServices.ENTITY_TYPES,
        settings.askTimeout());
    GitMaintenance maintenance = new GitMaintenance(node.git());
    system.getWhenTerminated().thenRun(maintenance::close);
    GaugeWithCallback.builder()
        .name("devflow_git_repacks_pending")
        .help("Repository repacks queued or running on this node")
        .callback(cb -> cb.call(maintenance.pending()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("devflow_feed_clients")
        .help("Event feed (SSE) clients connected to this node")
        .callback(cb -> cb.call(node.feedHub().subscriberCount()))
        .register(registry);

    long maxBody = settings.maxBodyBytes();
    Duration ask = settings.askTimeout();
    AnalyticsStore analytics = new AnalyticsStore(node.db());
    // Exposures are batched off the request path; the last batch is written on shutdown.
    ExposureRecorder exposures = ExposureRecorder.start(system.scheduler(), node.blocking(),
        analytics::recordExposures, ExposureRecorder.Settings.DEFAULT);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "flush-exposures", () -> {
      exposures.close();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    FlagEvaluation evaluation = new FlagEvaluation(node.flags(), exposures);
    AnalyticsRoutes analyticsRoutes = new AnalyticsRoutes(system, auth, analytics, maxBody);
    TenantRoutes tenants = new TenantRoutes(system, auth, maxBody, ask);
    RepoRoutes repos = new RepoRoutes(system, auth, node.git(), node.secrets(), node.agents(), maxBody, ask);
    FeedRoutes feed = new FeedRoutes(system, auth, node.feedHub(), node.feedStore(), settings.feed().routes());
    WebhookRoutes webhooks = new WebhookRoutes(system, auth, node.webhookStore(), node.webhooks(),
        settings.feed().webhooks().allowPrivateTargets(), maxBody);
    UnleashInstanceStore sdkInstances = new UnleashInstanceStore(node.db());
    FlagRoutes flags = new FlagRoutes(system, auth, node.flags(), evaluation, sdkInstances, maxBody, ask);
    UnleashRoutes unleash = new UnleashRoutes(system, auth, node.flags(), node.feedHub(), node.feedStore(),
        sdkInstances, AnalyticsRoutes.unleashMetrics(analytics), evaluation, settings.feed().routes(), maxBody);
    PipelineRoutes pipelines = new PipelineRoutes(system, auth, node.pipelines(), node.git(), node.jobLogs(),
        node.blocking(), maxBody, ask);
    SecretRoutes secrets = new SecretRoutes(system, auth, node.secrets(), () -> List.copyOf(node.jobSecrets().system().keySet()),
        settings.secrets().maxValueBytes(), maxBody, ask);
    AuditRoutes audit = new AuditRoutes(system, auth);
    AgentRoutes agents = new AgentRoutes(system, auth, node.agents(), node.llm(), node.blocking(), maxBody, ask);
    AppRoutes apps = new AppRoutes(system, auth, node.apps(), node.git(), node.jobLogs(), node.blocking(), maxBody, ask);
    AppRouter router = new AppRouter(system, auth, node.routes(), new AppRouter.Settings(
        settings.deploy().routerTimeout(), AppRouter.Settings.DEFAULT.maxBodyBytes(),
        AppRouter.Settings.DEFAULT.retryAfter(), AppRouter.Settings.DEFAULT.maxConnectionsPerInstance()));
    GitRoutes git = new GitRoutes(system, auth, node.git(), maintenance, ask, settings.maxPushBytes(),
        settings.gitRequestTimeout());
    return HttpServer.start(
            system,
            settings.httpHost(),
            settings.httpPort(),
            ApiRoutes.of(metrics, service, tenants,
                List.of(repos::route, pipelines::route, feed::route, webhooks::route, flags::route,
                    analyticsRoutes::route, secrets::route, audit::route, agents::route, apps::route),
                List.of(git.route(), unleash.route(), pipelines.runners(), audit.clusterRoute(), router.route())),
            settings.drainTimeout())
        .thenApply(binding -> binding.localAddress().getPort());
  }

  /** The admin token's hash, refreshed: another node may have been started with a new one. */
  private static AtomicReference<String> adminHash(ActorSystem<?> system, NodeServices node, String initial) {
    AtomicReference<String> hash = new AtomicReference<>(initial);
    AdminTokenStore store = new AdminTokenStore(node.db());
    system.scheduler().scheduleWithFixedDelay(ADMIN_TOKEN_REFRESH, ADMIN_TOKEN_REFRESH, () -> {
      try {
        store.currentHash().ifPresent(hash::set);
      } catch (StoreException e) {
        system.log().warn("cannot refresh the admin token: {}", e.getMessage());
      }
    }, system.dispatchers().lookup(DispatcherSelector.blocking()));
    return hash;
  }
}
