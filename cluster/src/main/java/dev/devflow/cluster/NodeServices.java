package dev.devflow.cluster;

import dev.devflow.actors.feed.FeedHub;
import dev.devflow.actors.feed.FeedProjection;
import dev.devflow.actors.feed.FeedWriter;
import dev.devflow.actors.feed.PushFollower;
import dev.devflow.actors.flag.FeatureFlag;
import dev.devflow.actors.flag.FlagCatalog;
import dev.devflow.actors.pipeline.JobQueue;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.PipelineStarter;
import dev.devflow.actors.pipeline.RepoPipelines;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.actors.runner.Runner;
import dev.devflow.actors.repo.Repo;
import dev.devflow.actors.secrets.TieredSecrets;
import dev.devflow.actors.tenant.Plan;
import dev.devflow.actors.tenant.Tenant;
import dev.devflow.actors.webhook.WebhookDispatcher;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.deploy.App;
import dev.devflow.actors.deploy.AppArtifacts;
import dev.devflow.actors.deploy.AppEndpoints;
import dev.devflow.actors.deploy.AppEnvironment;
import dev.devflow.actors.deploy.AppServices;
import dev.devflow.actors.deploy.ArtifactSweeper;
import dev.devflow.actors.deploy.DeployTrigger;
import dev.devflow.actors.deploy.ReleaseBuilder;
import dev.devflow.actors.deploy.RouteTable;
import dev.devflow.actors.deploy.RouteUpdate;
import dev.devflow.actors.runtime.BlobStore;
import dev.devflow.actors.runtime.RuntimeSettings;
import dev.devflow.actors.runtime.RuntimeSupervisor;
import dev.devflow.agents.Agent;
import dev.devflow.agents.AgentFeed;
import dev.devflow.agents.ReviewTrigger;
import dev.devflow.agents.llm.LlmGateway;
import dev.devflow.agents.review.Reviewer;
import dev.devflow.persistence.agents.AgentStore;
import dev.devflow.persistence.apps.AppDatabases;
import dev.devflow.persistence.apps.AppStore;
import dev.devflow.persistence.llm.LlmStore;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.audit.AuditStore;
import dev.devflow.persistence.secrets.SecretStore;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.feed.FeedStore;
import dev.devflow.persistence.feed.JournalTail;
import dev.devflow.persistence.webhook.WebhookStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * What every node runs whatever its roles: entity sharding (hosts or proxies), the feed
 * projection and webhook dispatcher (cluster singletons), this node's feed hub and flag catalog.
 * The API server ({@link ApiServer}) is built on top of these.
 */
record NodeServices(
    Database db, GitStorage git, FeedStore feedStore, FeedHub feedHub, FlagCatalog flags, WebhookStore webhookStore,
    ActorRef<WebhookDispatcher.Command> webhooks, PipelineStarter pipelines, JobLogStore jobLogs, SecretStore secrets,
    TieredSecrets jobSecrets, AuditStore audit, AgentStore agents, LlmGateway llm, AppStore apps, RouteTable routes,
    Executor blocking) {

  /** Every sharded entity type (for metrics and readiness). */
  static final List<EntityTypeKey<?>> ENTITY_TYPES =
      List.of(Tenant.ENTITY_KEY, Repo.ENTITY_KEY, FeatureFlag.ENTITY_KEY, Pipeline.ENTITY_KEY,
          RepoPipelines.ENTITY_KEY, JobQueue.ENTITY_KEY, Agent.ENTITY_KEY, App.ENTITY_KEY);

  /** How often the flag catalog re-reads the newest flag entries, in case the hub missed a batch. */
  private static final Duration FLAG_RELOAD = Duration.ofSeconds(30);

  static NodeServices start(ActorSystem<?> system, NodeSettings settings, Database db, SecretStore secrets) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    GitStorage git = new GitStorage(settings.gitRoot());
    Tenant.init(system);
    Repo.init(system, git);
    FeatureFlag.init(system);
    FlagCatalog flags = new FlagCatalog();
    CiConfig ci = settings.ci();
    // A tenant's job limit follows its plan as this node's flag catalog knows it; a tenant the
    // catalog has not heard of yet (created a moment ago) gets the free plan's limit.
    Pipeline.init(system, new Pipeline.Settings(ci.maxRetries(), t -> {
      Plan plan = flags.of(t).plan();
      return ci.limitFor(plan == null ? Plan.FREE.id() : plan.id());
    }));
    RepoPipelines.init(system);
    JobQueue.init(system, new JobQueue.Settings(ci.leaseTimeout(), ci.labelAliases()));

    FeedStore feedStore = new FeedStore(db);
    FeedProjection.init(system, db.settings(), new JournalTail(db), feedStore, blocking, settings.feed().projection(),
        List.of(new AgentFeed()));
    FeedHub feedHub = new FeedHub();
    system.systemActorOf(feedHub.behavior(feedStore, blocking, settings.feed().hubCheckInterval()), "feed-hub", Props.empty());

    // Feed clients get a clean end of stream before the HTTP server unbinds (they reconnect
    // elsewhere with Last-Event-ID) instead of a reset connection.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "end-feed-streams", () -> {
      feedHub.endStreams();
      return CompletableFuture.completedFuture(Done.getInstance());
    });

    flags.reload(feedStore);
    feedHub.addListener(flags::apply);
    system.scheduler().scheduleWithFixedDelay(FLAG_RELOAD, FLAG_RELOAD, () -> {
      try {
        flags.reload(feedStore);
      } catch (RuntimeException e) {
        system.log().warn("cannot reload the flag catalog: {}", e.getMessage());
      }
    }, system.dispatchers().lookup(DispatcherSelector.blocking()));

    WebhookStore webhookStore = new WebhookStore(db, secrets);
    int sealed = webhookStore.sealClearSecrets();
    if (sealed > 0) {
      system.log().info("moved {} webhook signing secrets from clear text into the encrypted secret store", sealed);
    }
    ActorRef<WebhookDispatcher.Command> webhooks =
        WebhookDispatcher.init(system, feedHub, webhookStore, feedStore, blocking, settings.feed().webhooks());

    PipelineStarter pipelines = new PipelineStarter(system, git, blocking);
    PushFollower.init(system, "pipeline-trigger", "ci-trigger", "core", feedStore, feedHub,
        push -> push.deletesRef() ? CompletableFuture.completedFuture(null) : pipelines.onPush(push.tenant(),
            push.repo(), push.ref(), push.before(), push.after(), push.tenant(), push.id()), blocking);
    JobLogStore jobLogs = new JobLogStore(db);
    AuditStore audit = new AuditStore(db);
    TieredSecrets jobSecrets = new TieredSecrets(settings.secrets().sources(), secrets, audit);
    if (settings.hasRole("runner")) {
      Runner.start(system, new Runner.Settings(ci.runnerName(), ci.runnerLabels(), ci.runnerSlots(), ci.runnerWorkDir(),
          git, jobLogs, ci.logCap(), jobSecrets, ci.runnerHeartbeat()));
    }

    // AI agents: every node can call the model (the gateway limits calls per tenant on each node);
    // review tasks come from pushes through their own singleton.
    LlmGateway llm = new LlmGateway(settings.llm(), new LlmStore(db), blocking);
    system.getWhenTerminated().thenRun(llm::close);
    AgentStore agents = new AgentStore(db);
    Agent.init(system, new Reviewer(llm, git, agents, settings.reviewLimits(), blocking));
    ReviewTrigger.init(system, "core", feedStore, feedHub, agents, blocking);

    AppStore apps = new AppStore(db);
    RouteTable routes =
        deployments(system, settings, git, pipelines, jobSecrets, secrets, db, jobLogs, feedStore, apps, blocking);
    DeployTrigger.init(system, "core", feedStore, feedHub, apps, blocking);
    return new NodeServices(db, git, feedStore, feedHub, flags, webhookStore, webhooks, pipelines, jobLogs, secrets,
        jobSecrets, audit, agents, llm, apps, routes, blocking);
  }

  /**
   * Deployments: App entities (built by CI jobs, run by the runtime supervisors), this node's
   * route table kept current by the apps' route updates (a cluster-wide topic), and on a
   * {@code runtime} node the supervisor of its instances.
   */
  private static RouteTable deployments(ActorSystem<?> system, NodeSettings settings, GitStorage git,
      PipelineStarter pipelines, TieredSecrets jobSecrets, SecretStore secrets, Database db, JobLogStore jobLogs,
      FeedStore feedStore, AppStore apps, Executor blocking) {
    DeployConfig deploy = settings.deploy();
    BlobStore blobs = new BlobStore(deploy.blobs());
    RouteTable routes = new RouteTable();
    ActorRef<Topic.Command<RouteUpdate>> topic =
        system.systemActorOf(Topic.create(RouteUpdate.class, "app-routes"), "app-routes-topic", Props.empty());
    ActorRef<RouteUpdate> follower = system.systemActorOf(Behaviors.receiveMessage((RouteUpdate u) -> {
      routes.update(u.tenant(), u.app(), u.endpoints());
      return Behaviors.same();
    }), "app-routes", Props.empty());
    topic.tell(Topic.subscribe(follower));
    ClusterSharding sharding = ClusterSharding.get(system);
    routes.setLoader((t, a) -> sharding.entityRefFor(App.ENTITY_KEY, App.entityId(t, a))
        .<AppEndpoints>askWithStatus(App.GetEndpoints::new, settings.askTimeout())
        .thenApply(Optional::of)
        .exceptionally(error -> {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (Rejection.of(cause) == Rejection.NOT_FOUND) {
            return Optional.empty();
          }
          throw error instanceof CompletionException ce ? ce : new CompletionException(error);
        }));
    App.init(system, new AppServices(
        new ReleaseBuilder(system, git, pipelines, blobs, deploy.buildRunsOn(), blocking),
        new AppEnvironment(jobSecrets, secrets, new AppDatabases(db), blocking),
        update -> topic.tell(Topic.publish(update)),
        deploy.drain(),
        new AppArtifacts(apps, blocking, deploy.keepBuilds())));
    ArtifactSweeper.init(system, apps, blobs, blocking, deploy.artifactSweepInterval(), deploy.artifactMinAge());
    if (settings.hasRole("runtime")) {
      ActorRef<FeedWriter.Command> output =
          system.systemActorOf(FeedWriter.create(feedStore, blocking), "feed-writer", Props.empty());
      system.systemActorOf(RuntimeSupervisor.create(new RuntimeSettings(deploy.workDir(), settings.clusterHost(),
              deploy.restartMin(), deploy.restartMax(), deploy.crashLoopLimit(), deploy.crashLoopWindow(),
              deploy.logCapBytes(), deploy.livenessInterval(), deploy.livenessFailures()), blobs, jobLogs,
              draft -> output.tell(new FeedWriter.Append(draft))),
          "runtime-supervisor", Props.empty());
    }
    return routes;
  }
}
