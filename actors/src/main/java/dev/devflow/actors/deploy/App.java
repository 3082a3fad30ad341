package dev.devflow.actors.deploy;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.runtime.InstanceEvent;
import dev.devflow.actors.runtime.InstanceSpec;
import dev.devflow.actors.runtime.RuntimeSupervisor;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A deployed app (Heroku-style). Id: {@code tenant/app}. Persisted: its configuration and numbered
 * releases. Not persisted: where its instances run — the runtime supervisors know, and a
 * restarted entity asks them (its shards remember it, so it comes back by itself after a node
 * died and goes on supervising).
 *
 * <p>A release is built ({@link ReleaseBuilder}), then rolled out: its instances start on runtime
 * nodes, and once every one is healthy it goes live — the routers switch to it — and the previous
 * release's instances are stopped after {@link AppServices#drain()}. A release whose instances
 * fail is marked failed and stopped; the live one is never touched. The entity reconciles
 * what runs with what should after every change: a scale, a node gone, a crash.
 */
public final class App extends EventSourcedBehaviorWithEnforcedReplies<App.Command, App.Event, App.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "App");

  /** Releases kept in the state (and the API); older ones remain in the journal. */
  static final int RELEASES = 50;
  static final int REMEMBERED_PUSHES = 100;

  public static String entityId(String tenant, String app) {
    return tenant + "/" + app;
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Create, Get, Update, Deploy, Rollback, GetEndpoints, Delete, BuildStarted, BuildDone, BuildFailed,
          EnvReady, Report, SupervisorsChanged, InstancesListed, GoLive, FailRelease, Drain, SyncArtifacts,
          ArtifactsWritten {}

  public record Create(AppConfig config, ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  /** PATCH: null fields stay. A new env makes a new release of the live commit (Heroku's config change). */
  public record Update(Integer instances, Map<String, String> env, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {}

  /** A push to the app's branch ({@code pushId} makes a repeat a no-op), or a manual deploy (before null). */
  public record Deploy(String commit, String ref, String before, String pushId, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record Rollback(long release, ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record GetEndpoints(ActorRef<StatusReply<AppEndpoints>> replyTo) implements Command {}

  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  record BuildStarted(long release, long pipeline) implements Command {}

  record BuildDone(long release, ReleaseBuilder.Result result) implements Command {}

  record BuildFailed(long release, String reason) implements Command {}

  record EnvReady(long release, AppEnvironment.Env env, String error) implements Command {}

  record Report(InstanceEvent event) implements Command {}

  record SupervisorsChanged(Set<ActorRef<RuntimeSupervisor.Command>> supervisors) implements Command {}

  record InstancesListed(ActorRef<RuntimeSupervisor.Command> supervisor, RuntimeSupervisor.InstanceList list)
      implements Command {}

  record GoLive(long release) implements Command {}

  record FailRelease(long release, String reason) implements Command {}

  record Drain(long live) implements Command {}

  record SyncArtifacts() implements Command {}

  /** {@code error} null: written. */
  record ArtifactsWritten(Throwable error) implements Command {}

  // ---- replies -----------------------------------------------------------------------------

  /** {@code releases}: newest first. */
  public record Summary(String tenant, String app, AppConfig config, long live, long deploying,
      List<Release> releases, List<InstanceInfo> instances, boolean created, Instant createdAt)
      implements CrossNodeMessage {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson
      permits AppCreated, AppUpdated, ReleaseCreated, ReleaseBuildStarted, ReleaseBuilt, ReleaseFailed, ReleaseLive,
          InstanceStarted, InstanceFailed, AppDeleted {}

  public record AppCreated(String tenant, String app, AppConfig config, Instant at) implements Event {}

  public record AppUpdated(AppConfig config, Instant at) implements Event {}

  /** {@code pushId}: the push that made it (null: a config change, a rollback, a manual deploy). */
  public record ReleaseCreated(Release release, String pushId) implements Event {}

  public record ReleaseBuildStarted(long release, long pipeline, Instant at) implements Event {}

  public record ReleaseBuilt(long release, String artifact, Map<String, String> processes, String healthPath,
      int healthTimeoutSeconds, Map<String, String> manifestEnv, Instant at) implements Event {}

  public record ReleaseFailed(long release, String reason, Instant at) implements Event {}

  /** {@code previous}: the release it replaced (0: none), now superseded or rolled back. */
  public record ReleaseLive(long release, long previous, boolean rollback, Instant at) implements Event {}

  public record InstanceStarted(InstanceInfo instance, Instant at) implements Event {}

  public record InstanceFailed(InstanceInfo instance, Instant at) implements Event {}

  public record AppDeleted(Instant at) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  public record State(String tenant, AppConfig config, List<Release> releases, long lastRelease, long live,
      long deploying, List<String> pushes, boolean deleted, Instant createdAt) implements StoredJson {

    static State empty() {
      return new State(null, null, List.of(), 0, 0, 0, List.of(), false, null);
    }

    boolean exists() {
      return config != null && !deleted;
    }

    Release release(long n) {
      return releases.stream().filter(r -> r.number() == n).findFirst().orElse(null);
    }

    State with(AppConfig c) {
      return new State(tenant, c, releases, lastRelease, live, deploying, pushes, deleted, createdAt);
    }

    State replace(Release r) {
      List<Release> rs = releases.stream().map(x -> x.number() == r.number() ? r : x).toList();
      return new State(tenant, config, rs, lastRelease, live, deploying, pushes, deleted, createdAt);
    }

    State added(Release r, String pushId) {
      List<Release> rs = new ArrayList<>(releases);
      rs.add(r);
      if (rs.size() > RELEASES) {
        rs = rs.subList(rs.size() - RELEASES, rs.size());
      }
      List<String> ps = new ArrayList<>(pushes);
      if (pushId != null) {
        ps.add(pushId);
        if (ps.size() > REMEMBERED_PUSHES) {
          ps = ps.subList(ps.size() - REMEMBERED_PUSHES, ps.size());
        }
      }
      return new State(tenant, config, List.copyOf(rs), r.number(), live, r.number(), List.copyOf(ps), deleted,
          createdAt);
    }

    State deploying(long n) {
      return new State(tenant, config, releases, lastRelease, live, n, pushes, deleted, createdAt);
    }

    State live(long n) {
      return new State(tenant, config, releases, lastRelease, n, deploying == n ? 0 : deploying, pushes, deleted,
          createdAt);
    }
  }

  // ---- behaviour ---------------------------------------------------------------------------

  /** An instance this incarnation knows of, and the supervisor running it. */
  private record Placed(InstanceInfo info, ActorRef<RuntimeSupervisor.Command> on, boolean announced) {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final AppServices services;
  private final String tenant;
  private final String app;
  private final ActorRef<InstanceEvent> reports;
  private final Map<String, Placed> instances = new HashMap<>();
  private final Set<Long> building = new HashSet<>();
  private final Map<Long, AppEnvironment.Env> envs = new HashMap<>();
  private final Set<Long> envPending = new HashSet<>();
  private Set<ActorRef<RuntimeSupervisor.Command>> supervisors = Set.of();
  /** Supervisors asked for their instances and not answered yet: no placing until they have. */
  private final Set<ActorRef<RuntimeSupervisor.Command>> listing = new HashSet<>();
  private boolean subscribed;
  private long endpointsVersion;
  /** What the routers were last told (null: nothing yet in this incarnation). */
  private AppEndpoints published;
  /** The artifact set last recorded or being recorded (null: none yet, or the write failed). */
  private Set<String> artifactsRecorded;
  /** One write at a time, so that an older set can never land after a newer one. */
  private boolean recordingArtifacts;
  private boolean recordArtifactsAgain;

  private App(ActorContext<Command> ctx, TimerScheduler<Command> timers, String entityId, AppServices services) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId), EntityDefaults.ON_PERSIST_FAILURE);
    this.ctx = ctx;
    this.timers = timers;
    this.services = services;
    int slash = entityId.indexOf('/');
    this.tenant = entityId.substring(0, slash);
    this.app = entityId.substring(slash + 1);
    this.reports = ctx.messageAdapter(InstanceEvent.class, Report::new);
  }

  public static Behavior<Command> create(String entityId, AppServices services) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new App(ctx, timers, entityId, services)));
  }

  public static void init(ActorSystem<?> system, AppServices services) {
    EntitySharding.init(system, ENTITY_KEY, "app", ctx -> create(ctx.getEntityId(), services));
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return EntityDefaults.RETENTION;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of("tenant:" + tenant);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> {
      if (s.exists()) {
        subscribe();
        reconcile(s);
      }
    }).build();
  }

  private void subscribe() {
    if (!subscribed) {
      subscribed = true;
      ActorRef<Receptionist.Listing> adapter = ctx.messageAdapter(Receptionist.Listing.class,
          l -> new SupervisorsChanged(l.getServiceInstances(RuntimeSupervisor.KEY)));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(RuntimeSupervisor.KEY, adapter));
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> s.exists()
            ? Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)))
            : Effect().reply(c.replyTo(), notFound()))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Deploy.class, this::onDeploy)
        .onCommand(Rollback.class, this::onRollback)
        .onCommand(GetEndpoints.class, (s, c) -> s.exists()
            ? Effect().reply(c.replyTo(), StatusReply.success(endpoints(s)))
            : Effect().reply(c.replyTo(), notFound()))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(BuildStarted.class, this::onBuildStarted)
        .onCommand(BuildDone.class, this::onBuildDone)
        .onCommand(BuildFailed.class, (s, c) -> failRelease(s, c.release(), c.reason()))
        .onCommand(EnvReady.class, this::onEnvReady)
        .onCommand(Report.class, this::onReport)
        .onCommand(SupervisorsChanged.class, this::onSupervisors)
        .onCommand(InstancesListed.class, this::onInstancesListed)
        .onCommand(GoLive.class, this::onGoLive)
        .onCommand(FailRelease.class, (s, c) -> failRelease(s, c.release(), c.reason()))
        .onCommand(Drain.class, this::onDrain)
        .onCommand(SyncArtifacts.class, (s, c) -> {
          recordArtifacts(s);
          return Effect().noReply();
        })
        .onCommand(ArtifactsWritten.class, (s, c) -> {
          recordingArtifacts = false;
          if (c.error() != null) {
            ctx.getLog().warn("cannot record the artifacts of {}/{}; trying again in 10 s", tenant, app, c.error());
            artifactsRecorded = null;
            timers.startSingleTimer("artifacts", new SyncArtifacts(), Duration.ofSeconds(10));
          } else if (recordArtifactsAgain) {
            recordArtifactsAgain = false;
            recordArtifacts(s);
          }
          return Effect().noReply();
        })
        .build();
  }

  // ---- API commands ------------------------------------------------------------------------

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    if (s.exists()) {
      return Effect().reply(c.replyTo(), Rejection.CONFLICT.reply("app " + tenant + "/" + app + " exists"));
    }
    return Effect().persist(new AppCreated(tenant, app, c.config(), Instant.now()))
        .thenRun(ns -> subscribe())
        .thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns, true)));
  }

  private ReplyEffect<Event, State> onUpdate(State s, Update c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    AppConfig next = s.config();
    if (c.instances() != null) {
      next = next.withInstances(c.instances());
    }
    List<Event> events = new ArrayList<>();
    Instant now = Instant.now();
    if (c.env() != null && !c.env().equals(s.config().env())) {
      next = next.withEnv(c.env());
      // Heroku semantics: new config is a new release of the same build.
      Release base = s.release(s.live());
      if (base != null && base.isBuilt()) {
        events.add(new AppUpdated(next, now));
        events.add(new ReleaseCreated(new Release(s.lastRelease() + 1, base.commit(), Release.DEPLOYING, null,
            base.pipeline(), base.artifact(), base.processes(), base.healthPath(), base.healthTimeoutSeconds(),
            next.env(), base.manifestEnv(), 0, now, null), null));
      }
    }
    if (events.isEmpty()) {
      if (next.equals(s.config())) {
        return Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)));
      }
      events.add(new AppUpdated(next, now));
    }
    return Effect().persist(events).thenRun(this::reconcile)
        .thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns, false)));
  }

  private ReplyEffect<Event, State> onDeploy(State s, Deploy c) {
    if (!s.exists() || (c.pushId() != null && s.pushes().contains(c.pushId()))) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    Instant now = Instant.now();
    Release r = new Release(s.lastRelease() + 1, c.commit(), Release.BUILDING, null, null, null, null, null, 0,
        s.config().env(), null, 0, now, null);
    List<Event> events = new ArrayList<>();
    // A newer push replaces a release still on its way (it would be superseded at once anyway).
    if (s.deploying() != 0) {
      events.add(new ReleaseFailed(s.deploying(), "replaced by release " + r.number() + " before it went live", now));
    }
    events.add(new ReleaseCreated(r, c.pushId()));
    return Effect().persist(events)
        .thenRun(ns -> {
          startBuild(ns, ns.release(r.number()), c.ref(), c.before());
          reconcile(ns);
        })
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onRollback(State s, Rollback c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    Release target = s.release(c.release());
    if (target == null || !target.isBuilt()) {
      return Effect().reply(c.replyTo(), Rejection.INVALID.reply("release " + c.release() + " of " + tenant + "/" + app
          + (target == null ? " does not exist" : " was never built (" + target.status() + ")")
          + "; releases that can go live again: " + s.releases().stream().filter(Release::isBuilt)
          .map(r -> String.valueOf(r.number())).toList()));
    }
    if (c.release() == s.live()) {
      return Effect().reply(c.replyTo(), Rejection.INVALID.reply("release " + c.release() + " is live already"));
    }
    if (!needed(s).contains(target.artifact())) {
      return Effect().reply(c.replyTo(), Rejection.INVALID.reply("the build of release " + c.release()
          + " is no longer kept (the newest " + services.artifacts().keepBuilds() + " builds are); deploy commit "
          + target.commit() + " again with POST …/deploy {\"commit\": \"" + target.commit() + "\"}"));
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    if (s.deploying() != 0) {
      events.add(new ReleaseFailed(s.deploying(), "replaced by a rollback to release " + c.release(), now));
    }
    events.add(new ReleaseCreated(new Release(s.lastRelease() + 1, target.commit(), Release.DEPLOYING, null,
        target.pipeline(), target.artifact(), target.processes(), target.healthPath(), target.healthTimeoutSeconds(),
        target.env(), target.manifestEnv(), target.number(), now, null), null));
    return Effect().persist(events).thenRun(this::reconcile)
        .thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns, false)));
  }

  private ReplyEffect<Event, State> onDelete(State s, Delete c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    return Effect().persist(new AppDeleted(Instant.now()))
        .thenRun(ns -> {
          for (Placed p : List.copyOf(instances.values())) {
            stop(p, Duration.ofSeconds(5));
          }
          publish(ns);
          recordArtifacts(ns);
          services.environment().drop(tenant, app);
        })
        .thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  // ---- building ----------------------------------------------------------------------------

  private void startBuild(State s, Release r, String ref, String before) {
    if (r == null || !building.add(r.number())) {
      return;
    }
    long n = r.number();
    ActorRef<Command> self = ctx.getSelf();
    ReleaseBuilder.Request request = new ReleaseBuilder.Request(tenant, app, s.config().repo(),
        ref == null ? "refs/heads/" + s.config().branch() : ref, before, r.commit(), n, s.config().requireCi());
    ctx.pipeToSelf(services.builder().build(request, pipeline -> self.tell(new BuildStarted(n, pipeline))),
        (result, error) -> {
          if (error == null) {
            return new BuildDone(n, result);
          }
          Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
              ? error.getCause() : error;
          return new BuildFailed(n, cause instanceof BuildFailure ? cause.getMessage()
              : "the build could not run: " + cause);
        });
  }

  private ReplyEffect<Event, State> onBuildStarted(State s, BuildStarted c) {
    Release r = s.release(c.release());
    if (r == null || r.pipeline() != null) {
      return Effect().noReply();
    }
    return Effect().persist(new ReleaseBuildStarted(c.release(), c.pipeline(), Instant.now())).thenNoReply();
  }

  private ReplyEffect<Event, State> onBuildDone(State s, BuildDone c) {
    building.remove(c.release());
    Release r = s.release(c.release());
    if (r == null || !r.status().equals(Release.BUILDING)) {
      return Effect().noReply();
    }
    ReleaseBuilder.Result b = c.result();
    return Effect().persist(new ReleaseBuilt(c.release(), b.artifact(), b.processes(), b.healthPath(),
        b.healthTimeoutSeconds(), b.manifestEnv(), Instant.now())).thenRun(this::reconcile).thenNoReply();
  }

  private ReplyEffect<Event, State> failRelease(State s, long n, String reason) {
    building.remove(n);
    Release r = s.release(n);
    if (r == null || !(r.status().equals(Release.BUILDING) || r.status().equals(Release.DEPLOYING))) {
      return Effect().noReply();
    }
    return Effect().persist(new ReleaseFailed(n, reason, Instant.now())).thenRun(this::reconcile).thenNoReply();
  }

  // ---- running -----------------------------------------------------------------------------

  private ReplyEffect<Event, State> onEnvReady(State s, EnvReady c) {
    envPending.remove(c.release());
    if (c.error() != null) {
      return failRelease(s, c.release(), "cannot prepare the environment: " + c.error());
    }
    envs.put(c.release(), c.env());
    reconcile(s);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSupervisors(State s, SupervisorsChanged c) {
    Set<ActorRef<RuntimeSupervisor.Command>> gone = new HashSet<>(supervisors);
    gone.removeAll(c.supervisors());
    Set<ActorRef<RuntimeSupervisor.Command>> added = new HashSet<>(c.supervisors());
    added.removeAll(supervisors);
    supervisors = Set.copyOf(c.supervisors());
    listing.retainAll(supervisors);
    for (ActorRef<RuntimeSupervisor.Command> sup : added) {
      listing.add(sup);
      ctx.ask(RuntimeSupervisor.InstanceList.class, sup, Duration.ofSeconds(10), RuntimeSupervisor.ListInstances::new,
          (list, error) -> new InstancesListed(sup, error == null ? list : new RuntimeSupervisor.InstanceList(List.of())));
    }
    List<Event> events = new ArrayList<>();
    Instant now = Instant.now();
    for (Placed p : List.copyOf(instances.values())) {
      if (gone.contains(p.on())) {
        instances.remove(p.info().id());
        events.add(new InstanceFailed(p.info().with("failed", "its runtime node left the cluster"), now));
      }
    }
    if (!gone.isEmpty()) {
      publish(s);
    }
    return Effect().persist(events).thenRun(this::reconcile).thenNoReply();
  }

  private ReplyEffect<Event, State> onInstancesListed(State s, InstancesListed c) {
    listing.remove(c.supervisor());
    for (RuntimeSupervisor.InstanceView v : c.list().instances()) {
      if (v.tenant().equals(tenant) && v.app().equals(app) && !instances.containsKey(v.instanceId())) {
        String status = v.status();
        InstanceInfo info = new InstanceInfo(v.instanceId(), v.release(), v.processType(), nodeOf(c.supervisor()),
            v.port(), v.pid(), status, v.restarts(), null);
        instances.put(v.instanceId(), new Placed(info, c.supervisor(), true));
        c.supervisor().tell(new RuntimeSupervisor.Adopt(v.instanceId(), reports));
      }
    }
    publish(s);
    reconcile(s);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onReport(State s, Report c) {
    InstanceEvent e = c.event();
    Placed p = instances.get(e.instanceId());
    if (p == null) {
      return Effect().noReply();
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    if (e instanceof InstanceEvent.Healthy h) {
      InstanceInfo info = new InstanceInfo(p.info().id(), p.info().release(), p.info().processType(), nodeOf(p.on()),
          h.port(), h.pid(), "healthy", h.restarts(), null);
      instances.put(info.id(), new Placed(info, p.on(), true));
      if (!p.announced() || h.restarts() > 0) {
        events.add(new InstanceStarted(info, now));
      }
    } else if (e instanceof InstanceEvent.Crashed cr) {
      InstanceInfo info = new InstanceInfo(p.info().id(), p.info().release(), p.info().processType(),
          p.info().node(), p.info().port(), p.info().pid(), "crashed", cr.restarts(), cr.reason());
      instances.put(info.id(), new Placed(info, p.on(), p.announced()));
      events.add(new InstanceFailed(info, now));
    } else if (e instanceof InstanceEvent.Failed f) {
      InstanceInfo info = p.info().with("failed", f.reason());
      instances.put(info.id(), new Placed(info, p.on(), p.announced()));
      events.add(new InstanceFailed(info, now));
      if (info.release() == s.deploying()) {
        ctx.getSelf().tell(new FailRelease(info.release(), "instance " + info.id() + " (" + info.processType()
            + ") failed: " + f.reason()));
      }
    } else if (e instanceof InstanceEvent.Stopped) {
      instances.remove(e.instanceId());
    }
    publish(s);
    return Effect().persist(events).thenRun(this::reconcile).thenNoReply();
  }

  private ReplyEffect<Event, State> onGoLive(State s, GoLive c) {
    Release r = s.release(c.release());
    if (r == null || s.deploying() != c.release() || !r.status().equals(Release.DEPLOYING)) {
      return Effect().noReply();
    }
    return Effect().persist(new ReleaseLive(c.release(), s.live(), r.rollbackOf() != 0, Instant.now()))
        .thenRun(ns -> {
          publish(ns);
          recordArtifacts(ns);
          timers.startSingleTimer("drain", new Drain(ns.live()), services.drain());
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onDrain(State s, Drain c) {
    if (s.live() == c.live()) {
      for (Placed p : List.copyOf(instances.values())) {
        if (p.info().release() != s.live() && p.info().release() != s.deploying()) {
          stop(p, services.drain());
        }
      }
    }
    return Effect().noReply();
  }

  /**
   * Makes what runs match what should: the target release (the one going live, else the live
   * one) gets its instances, extras of the live release stop (a scale down), a release whose
   * instances are all healthy goes live, instances of failed releases stop.
   */
  private void reconcile(State s) {
    recordArtifacts(s);
    if (!s.exists()) {
      return;
    }
    for (Release r : s.releases()) {
      if (r.status().equals(Release.BUILDING) && !building.contains(r.number())) {
        startBuild(s, r, null, null); // after a restart: the builder finds its pipeline again
      }
    }
    for (Placed p : List.copyOf(instances.values())) {
      Release r = s.release(p.info().release());
      boolean dead = r == null || r.status().equals(Release.FAILED)
          || ((r.status().equals(Release.SUPERSEDED) || r.status().equals(Release.ROLLED_BACK))
              && !timers.isTimerActive("drain"));
      if (dead && !p.info().status().equals("stopping")) {
        stop(p, Duration.ofSeconds(5));
      }
    }
    long target = s.deploying() != 0 ? s.deploying() : s.live();
    Release t = s.release(target);
    if (t == null || !t.isBuilt() || supervisors.isEmpty() || !listing.isEmpty()) {
      return;
    }
    AppEnvironment.Env env = envs.get(target);
    if (env == null) {
      if (envPending.add(target)) {
        ctx.pipeToSelf(services.environment().forRelease(tenant, app, s.config().repo(), t),
            (e, error) -> new EnvReady(target, e, error == null ? null : String.valueOf(error.getMessage())));
      }
      return;
    }
    boolean allHealthy = true;
    for (Map.Entry<String, String> process : t.processes().entrySet()) {
      String type = process.getKey();
      int desired = type.equals("web") ? s.config().instances() : 1;
      List<Placed> active = instances.values().stream()
          .filter(p -> p.info().release() == target && p.info().processType().equals(type)
              && !p.info().status().equals("failed") && !p.info().status().equals("stopping"))
          .sorted(Comparator.comparing((Placed p) -> p.info().id()))
          .toList();
      for (int i = active.size(); i < desired; i++) {
        place(t, type, process.getValue(), env);
        allHealthy = false;
      }
      for (int i = desired; i < active.size(); i++) {
        stop(active.get(i), services.drain());
      }
      allHealthy &= active.stream().limit(desired).allMatch(p -> p.info().status().equals("healthy"));
    }
    if (s.deploying() == target && allHealthy) {
      ctx.getSelf().tell(new GoLive(target));
    }
  }

  /** Starts an instance on the supervisor running the fewest of this app's instances. */
  private void place(Release r, String type, String command, AppEnvironment.Env env) {
    ActorRef<RuntimeSupervisor.Command> on = supervisors.stream()
        .min(Comparator.comparing((ActorRef<RuntimeSupervisor.Command> sup) ->
            instances.values().stream().filter(p -> p.on().equals(sup)).count())
            .thenComparing(ActorRef::toString))
        .orElseThrow();
    String id = tenant + "." + app + ".r" + r.number() + "." + type + "."
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    Map<String, String> vars = new HashMap<>(env.vars());
    vars.put("DEVFLOW_APP", tenant + "/" + app);
    vars.put("DEVFLOW_RELEASE", String.valueOf(r.number()));
    InstanceSpec spec = new InstanceSpec(id, tenant, app, r.number(), type, command, r.artifact(), Map.copyOf(vars),
        type.equals("web") ? r.healthPath() : null, r.healthTimeoutSeconds(), env.masked());
    instances.put(id, new Placed(new InstanceInfo(id, r.number(), type, nodeOf(on), 0, 0, "starting", 0, null), on,
        false));
    on.tell(new RuntimeSupervisor.StartInstance(spec, reports));
  }

  private void stop(Placed p, Duration drain) {
    instances.put(p.info().id(), new Placed(p.info().with("stopping", null), p.on(), p.announced()));
    p.on().tell(new RuntimeSupervisor.StopInstance(p.info().id(), drain));
  }

  private Set<String> needed(State s) {
    return s.exists() ? AppArtifacts.needed(s.releases(), s.live(), s.deploying(), services.artifacts().keepBuilds())
        : Set.of();
  }

  /** Records which artifacts this app needs when that changed; a failed write is retried. */
  private void recordArtifacts(State s) {
    if (recordingArtifacts) {
      recordArtifactsAgain = true;
      return;
    }
    Set<String> now = needed(s);
    if (now.equals(artifactsRecorded)) {
      return;
    }
    artifactsRecorded = now;
    recordingArtifacts = true;
    ActorRef<Command> self = ctx.getSelf();
    services.artifacts().record(tenant, app, now).whenComplete((v, e) -> self.tell(new ArtifactsWritten(e)));
  }

  /** Healthy web instances of the live release, as the routers should see them. */
  private AppEndpoints endpoints(State s) {
    List<Endpoint> healthy = s.deleted() ? List.of() : instances.values().stream()
        .map(Placed::info)
        .filter(i -> i.release() == s.live() && i.processType().equals("web") && i.status().equals("healthy"))
        .sorted(Comparator.comparing(InstanceInfo::id))
        .map(i -> new Endpoint(i.node().substring(0, i.node().lastIndexOf(':')), i.port()))
        .toList();
    return new AppEndpoints(healthy, s.config() != null && s.config().privateApp(), endpointsVersion);
  }

  private void publish(State s) {
    AppEndpoints now = endpoints(s);
    // Most instance reports change nothing the routers see: every node need not hear of them.
    if (published != null && now.healthy().equals(published.healthy())
        && now.privateApp() == published.privateApp()) {
      return;
    }
    // Versions must grow across incarnations of the entity too: the clock, made strictly increasing.
    endpointsVersion = Math.max(endpointsVersion + 1, System.currentTimeMillis() * 1000);
    published = new AppEndpoints(now.healthy(), now.privateApp(), endpointsVersion);
    services.publish().accept(new RouteUpdate(tenant, app, published));
  }

  /** The runtime node (its cluster address, host:port) a supervisor runs on; instances listen on its host. */
  private String nodeOf(ActorRef<?> supervisor) {
    org.apache.pekko.actor.Address a = supervisor.path().address();
    if (a.host().isEmpty()) { // this node's own supervisor: a local path has no address
      a = org.apache.pekko.cluster.typed.Cluster.get(ctx.getSystem()).selfMember().address();
    }
    return a.host().get() + ":" + a.port().get();
  }

  private Summary summary(State s, boolean created) {
    List<Release> newestFirst = new ArrayList<>(s.releases());
    java.util.Collections.reverse(newestFirst);
    List<InstanceInfo> infos = instances.values().stream().map(Placed::info)
        .sorted(Comparator.comparing(InstanceInfo::id)).toList();
    return new Summary(tenant, app, s.config(), s.live(), s.deploying(), newestFirst, infos, created, s.createdAt());
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.NOT_FOUND.reply("app " + tenant + "/" + app + " not found");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(AppCreated.class, (s, e) -> new State(e.tenant(), e.config(), List.of(), s.lastRelease(), 0, 0,
            s.pushes(), false, e.at()))
        .onEvent(AppUpdated.class, (s, e) -> s.with(e.config()))
        .onEvent(ReleaseCreated.class, (s, e) -> s.added(e.release(), e.pushId()))
        .onEvent(ReleaseBuildStarted.class, (s, e) -> s.replace(s.release(e.release()).withPipeline(e.pipeline())))
        .onEvent(ReleaseBuilt.class, (s, e) -> s.replace(s.release(e.release())
            .built(e.artifact(), e.processes(), e.healthPath(), e.healthTimeoutSeconds(), e.manifestEnv())))
        .onEvent(ReleaseFailed.class, (s, e) -> {
          State ns = s.release(e.release()) == null ? s
              : s.replace(s.release(e.release()).withStatus(Release.FAILED, e.reason()));
          return ns.deploying() == e.release() ? ns.deploying(0) : ns;
        })
        .onEvent(ReleaseLive.class, (s, e) -> {
          State ns = s;
          Release previous = s.release(e.previous());
          if (previous != null) {
            ns = ns.replace(previous.withStatus(e.rollback() ? Release.ROLLED_BACK : Release.SUPERSEDED, null));
          }
          return ns.replace(ns.release(e.release()).live(e.at())).live(e.release());
        })
        .onEvent(InstanceStarted.class, (s, e) -> s)
        .onEvent(InstanceFailed.class, (s, e) -> s)
        .onEvent(AppDeleted.class, (s, e) -> new State(s.tenant(), null, List.of(), s.lastRelease(), 0, 0, s.pushes(),
            false, null))
        .build();
  }
}
