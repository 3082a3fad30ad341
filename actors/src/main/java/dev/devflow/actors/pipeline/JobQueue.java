package dev.devflow.actors.pipeline;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The jobs of one runner pool waiting for a runner, and the leases of those running. Id: the pool
 * name ({@value #DEFAULT_POOL}).
 *
 * <p>Runners heartbeat every second with their labels, slot count and the leases they hold; a job
 * goes to the first runner with a free slot whose labels cover its {@code runs-on}, in queue
 * order, skipping tenants at their concurrency limit. Assignment is pushed to the runner at once
 * (no polling interval). A lease not renewed by a heartbeat for {@code lease-timeout}, or whose
 * runner left the cluster, ends; the Pipeline is told (it queues the job again or fails it). A
 * runner reporting a lease the queue no longer has is told to stop that job: a job never runs
 * twice at once.
 *
 * <p>Runner registrations, heartbeat times and pending notices are not persisted: runners announce
 * themselves every second, and a recovered lease counts as renewed at recovery.
 */
public final class JobQueue
    extends EventSourcedBehaviorWithEnforcedReplies<JobQueue.Command, JobQueue.Event, JobQueue.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "JobQueue");
  public static final String DEFAULT_POOL = "default";

  /** How long a lease lives without a heartbeat. */
  public record Settings(Duration leaseTimeout, Map<String, String> labelAliases) {}

  /** A job ready to run. {@code limit}: its tenant's concurrent job limit. */
  public record QueuedJob(String tenant, String pipelineId, String key, int attempt, List<String> labels, int limit,
      Instant queuedAt) implements CrossNodeMessage, StoredJson {

    public QueuedJob {
      labels = labels == null ? List.of() : List.copyOf(labels);
    }

    public String ref() {
      return pipelineId + "#" + key + "#" + attempt;
    }
  }

  public record Lease(String leaseId, QueuedJob job, String runnerId, String runnerName, Instant at)
      implements StoredJson, CrossNodeMessage {}

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Enqueue, Heartbeat, Release, CancelPipeline, ListRunners, Tick, RunnerGone, Notified {}

  public record Enqueue(QueuedJob job) implements Command {}

  /** Every second from each runner, and at once when a slot frees. */
  public record Heartbeat(String runnerId, String name, List<String> labels, int slots, List<String> leases,
      ActorRef<ToRunner> runner) implements Command {}

  /** The lease's job is over (its result is with the Pipeline), or {@code giveBack}: not started, queue it again. */
  public record Release(String leaseId, boolean giveBack) implements Command {}

  /** Withdraws the pipeline's queued jobs and stops the given running ones. */
  public record CancelPipeline(String pipelineId, List<String> leases) implements Command {}

  public record ListRunners(ActorRef<RunnerList> replyTo) implements Command {}

  private record Tick() implements Command {}

  private record RunnerGone(String runnerId) implements Command {}

  private record Notified(String leaseId) implements Command {}

  // ---- to runners --------------------------------------------------------------------------

  public sealed interface ToRunner extends CrossNodeMessage permits Assignment, StopJobs {}

  public record Assignment(Lease lease) implements ToRunner {}

  /** Stop these jobs: cancelled, or their lease is no longer valid. */
  public record StopJobs(List<String> leaseIds, String reason) implements ToRunner {}

  // ---- replies -----------------------------------------------------------------------------

  public record RunnerView(String runnerId, String name, List<String> labels, int slots, List<Lease> leases,
      Instant lastSeen) implements CrossNodeMessage {}

  public record RunnerList(List<RunnerView> runners, int queued) implements CrossNodeMessage {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson permits JobEnqueued, JobLeased, LeaseEnded, JobWithdrawn {}

  public record JobEnqueued(QueuedJob job) implements Event {}

  public record JobLeased(Lease lease) implements Event {}

  /** {@code reason}: completed, returned (queued again), expired, runner-left. */
  public record LeaseEnded(String leaseId, String reason, Instant at) implements Event {}

  public record JobWithdrawn(String jobRef, Instant at) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  public record State(Map<String, QueuedJob> queued, Map<String, Lease> leases) implements StoredJson {

    public State {
      queued = queued == null ? Map.of() : queued;
      leases = leases == null ? Map.of() : leases;
    }

    boolean knows(String jobRef) {
      return queued.containsKey(jobRef) || leases.values().stream().anyMatch(l -> l.job().ref().equals(jobRef));
    }

    long running(String tenant) {
      return leases.values().stream().filter(l -> l.job().tenant().equals(tenant)).count();
    }

    long held(String runnerId) {
      return leases.values().stream().filter(l -> l.runnerId().equals(runnerId)).count();
    }
  }

  /** A runner as last heard of (not persisted). */
  private record RunnerSeen(String name, List<String> labels, int slots, ActorRef<ToRunner> ref, Instant at,
      long nanos) {}

  // ---- behaviour ---------------------------------------------------------------------------

  private final ActorContext<Command> ctx;
  private final Settings settings;
  private final ClusterSharding sharding;
  private final Map<String, RunnerSeen> runners = new HashMap<>();
  private final Map<String, Long> renewed = new HashMap<>();
  private final Map<String, Lease> lost = new HashMap<>();

  private JobQueue(String pool, ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings) {
    super(PersistenceId.of(ENTITY_KEY.name(), pool), EntityDefaults.ON_PERSIST_FAILURE);
    this.ctx = ctx;
    this.settings = settings;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    timers.startTimerWithFixedDelay(new Tick(), Duration.ofSeconds(1));
  }

  public static Behavior<Command> create(String pool, Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobQueue(pool, ctx, timers, settings)));
  }

  public static void init(ActorSystem<?> system, Settings settings) {
    EntitySharding.init(system, ENTITY_KEY, "job-queue", c -> create(c.getEntityId(), settings));
  }

  @Override
  public State emptyState() {
    return new State(Map.of(), Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return EntityDefaults.RETENTION;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of("job-queue");
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Enqueue.class, this::onEnqueue)
        .onCommand(Heartbeat.class, this::onHeartbeat)
        .onCommand(Release.class, this::onRelease)
        .onCommand(CancelPipeline.class, this::onCancel)
        .onCommand(ListRunners.class, this::onList)
        .onCommand(Tick.class, this::onTick)
        .onCommand(RunnerGone.class, this::onRunnerGone)
        .onCommand(Notified.class, (s, c) -> {
          lost.remove(c.leaseId());
          return Effect().noReply();
        })
        .build();
  }

  private ReplyEffect<Event, State> onEnqueue(State s, Enqueue c) {
    if (s.knows(c.job().ref())) {
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>();
    events.add(new JobEnqueued(c.job()));
    return persistAndDispatch(s, events);
  }

  private ReplyEffect<Event, State> onHeartbeat(State s, Heartbeat c) {
    long now = System.nanoTime();
    RunnerSeen previous = runners.put(c.runnerId(),
        new RunnerSeen(c.name(), List.copyOf(c.labels()), c.slots(), c.runner(), Instant.now(), now));
    if (previous == null) {
      ctx.watchWith(c.runner(), new RunnerGone(c.runnerId()));
    }
    List<String> unknown = new ArrayList<>();
    for (String leaseId : c.leases()) {
      Lease lease = s.leases().get(leaseId);
      if (lease != null && lease.runnerId().equals(c.runnerId())) {
        renewed.put(leaseId, now);
      } else {
        unknown.add(leaseId);
      }
    }
    if (!unknown.isEmpty()) {
      c.runner().tell(new StopJobs(unknown, "the lease of this job has ended; it may run elsewhere"));
    }
    return persistAndDispatch(s, new ArrayList<>());
  }

  private ReplyEffect<Event, State> onRelease(State s, Release c) {
    if (!s.leases().containsKey(c.leaseId())) {
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>();
    events.add(new LeaseEnded(c.leaseId(), c.giveBack() ? "returned" : "completed", Instant.now()));
    renewed.remove(c.leaseId());
    return persistAndDispatch(s, events);
  }

  private ReplyEffect<Event, State> onCancel(State s, CancelPipeline c) {
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    s.queued().values().stream()
        .filter(j -> j.pipelineId().equals(c.pipelineId()))
        .forEach(j -> events.add(new JobWithdrawn(j.ref(), now)));
    Map<String, List<String>> byRunner = new HashMap<>();
    for (String leaseId : c.leases()) {
      Lease lease = s.leases().get(leaseId);
      if (lease != null) {
        byRunner.computeIfAbsent(lease.runnerId(), r -> new ArrayList<>()).add(leaseId);
      }
    }
    byRunner.forEach((runnerId, leases) -> {
      RunnerSeen r = runners.get(runnerId);
      if (r != null) {
        r.ref().tell(new StopJobs(leases, "cancelled"));
      }
    });
    return events.isEmpty() ? Effect().noReply() : Effect().persist(events).thenNoReply();
  }

  private ReplyEffect<Event, State> onList(State s, ListRunners c) {
    List<RunnerView> views = new ArrayList<>();
    runners.forEach((id, r) -> views.add(new RunnerView(id, r.name(), r.labels(), r.slots(),
        s.leases().values().stream().filter(l -> l.runnerId().equals(id)).toList(), r.at())));
    return Effect().reply(c.replyTo(), new RunnerList(views, s.queued().size()));
  }

  /** Ends leases that were not renewed, forgets silent runners, and retries undelivered notices. */
  private ReplyEffect<Event, State> onTick(State s, Tick c) {
    long now = System.nanoTime();
    long timeout = settings.leaseTimeout().toNanos();
    runners.values().removeIf(r -> now - r.nanos() > timeout);
    List<Event> events = new ArrayList<>();
    for (Lease lease : s.leases().values()) {
      long seen = renewed.computeIfAbsent(lease.leaseId(), id -> now);
      if (now - seen > timeout) {
        events.add(new LeaseEnded(lease.leaseId(), "expired", Instant.now()));
      }
    }
    lost.values().forEach(this::notifyLost);
    return persistAndDispatch(s, events);
  }

  private ReplyEffect<Event, State> onRunnerGone(State s, RunnerGone c) {
    runners.remove(c.runnerId());
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    s.leases().values().stream().filter(l -> l.runnerId().equals(c.runnerId()))
        .forEach(l -> events.add(new LeaseEnded(l.leaseId(), "runner-left", now)));
    return persistAndDispatch(s, events);
  }

  /**
   * Persists {@code events} plus the leases that follow from them (free slots meeting queued
   * jobs), then pushes the assignments to runners and tells Pipelines about lost leases.
   */
  private ReplyEffect<Event, State> persistAndDispatch(State s, List<Event> events) {
    State after = s;
    for (Event e : events) {
      after = apply(after, e);
    }
    List<Lease> assigned = new ArrayList<>();
    for (QueuedJob job : after.queued().values()) {
      String runnerId = pick(after, job);
      if (runnerId != null) {
        RunnerSeen r = runners.get(runnerId);
        Lease lease = new Lease(UUID.randomUUID().toString(), job, runnerId, r.name(), Instant.now());
        JobLeased e = new JobLeased(lease);
        events.add(e);
        after = apply(after, e);
        assigned.add(lease);
      }
    }
    if (events.isEmpty()) {
      return Effect().noReply();
    }
    List<Lease> ended = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof LeaseEnded le && (le.reason().equals("expired") || le.reason().equals("runner-left"))) {
        ended.add(s.leases().get(le.leaseId()));
      }
    }
    return Effect().persist(events).thenRun(ns -> {
      long now = System.nanoTime();
      for (Lease lease : assigned) {
        renewed.put(lease.leaseId(), now);
        runners.get(lease.runnerId()).ref().tell(new Assignment(lease));
      }
      for (Lease lease : ended) {
        renewed.remove(lease.leaseId());
        lost.put(lease.leaseId(), lease);
        notifyLost(lease);
      }
    }).thenNoReply();
  }

  /** The first known runner with a free slot whose labels cover the job's, or null. */
  private String pick(State s, QueuedJob job) {
    if (s.running(job.tenant()) >= job.limit()) {
      return null;
    }
    for (Map.Entry<String, RunnerSeen> e : runners.entrySet()) {
      RunnerSeen r = e.getValue();
      if (s.held(e.getKey()) < r.slots() && covers(r.labels(), job.labels())) {
        return e.getKey();
      }
    }
    return null;
  }

  private boolean covers(List<String> runnerLabels, List<String> wanted) {
    for (String label : wanted) {
      String l = label.toLowerCase();
      String alias = settings.labelAliases().entrySet().stream()
          .filter(a -> a.getKey().endsWith("*") ? l.startsWith(a.getKey().substring(0, a.getKey().length() - 1))
              : l.equals(a.getKey()))
          .map(Map.Entry::getValue).findFirst().orElse(l);
      if (runnerLabels.stream().noneMatch(r -> r.equalsIgnoreCase(alias))) {
        return false;
      }
    }
    return true;
  }

  private void notifyLost(Lease lease) {
    QueuedJob job = lease.job();
    ctx.pipeToSelf(
        sharding.entityRefFor(Pipeline.ENTITY_KEY, job.pipelineId()).<StatusReply<Done>>ask(
            reply -> new Pipeline.LeaseLost(job.key(), job.attempt(), lease.leaseId(),
                "no heartbeat from runner " + lease.runnerName(), reply),
            Duration.ofSeconds(5)),
        // A failed notice stays in `lost` and is sent again on the next tick.
        (ok, error) -> new Notified(error == null ? lease.leaseId() : ""));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobQueue::apply);
  }

  private static State apply(State s, Event e) {
    Map<String, QueuedJob> queued = new LinkedHashMap<>(s.queued());
    Map<String, Lease> leases = new LinkedHashMap<>(s.leases());
    if (e instanceof JobEnqueued q) {
      queued.put(q.job().ref(), q.job());
    } else if (e instanceof JobLeased l) {
      queued.remove(l.lease().job().ref());
      leases.put(l.lease().leaseId(), l.lease());
    } else if (e instanceof LeaseEnded le) {
      Lease lease = leases.remove(le.leaseId());
      if (lease != null && le.reason().equals("returned")) {
        Map<String, QueuedJob> front = new LinkedHashMap<>();
        front.put(lease.job().ref(), lease.job());
        front.putAll(queued);
        queued = front;
      }
    } else if (e instanceof JobWithdrawn w) {
      queued.remove(w.jobRef());
    }
    return new State(queued, leases);
  }
}
