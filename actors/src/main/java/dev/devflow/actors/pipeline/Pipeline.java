package dev.devflow.actors.pipeline;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.actors.ci.workflow.ExpressionException;
import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.ci.workflow.WorkflowException;
import dev.devflow.actors.ci.workflow.WorkflowParser;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
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
 * One run of one workflow: {@code tenant/repo/number}. It holds the workflow snapshot and every
 * job's state, decides what runs next ({@link PipelinePlanner}), puts ready jobs into the {@link
 * JobQueue}, and records what runners report.
 *
 * <p>Fencing: a runner may start a job only for the attempt that is queued, and its result counts
 * only if it carries the lease the job was started with; a runner that lost its lease (the job was
 * queued again) is told its start or result is stale. Jobs queued but not yet leased are offered to
 * the queue again every {@link #RESEND} (the queue ignores what it already has), so a lost message
 * delays a job but never strands it.
 */
public final class Pipeline
    extends EventSourcedBehaviorWithEnforcedReplies<Pipeline.Command, Pipeline.Event, Pipeline.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Pipeline");

  /** Number of slice tags ({@code pipeline-0 … pipeline-3}): a persisted contract. */
  public static final int TAG_SLICES = 4;

  static final Duration RESEND = Duration.ofSeconds(10);

  /** Runner-lost retries of one job before it fails, and the per-tenant concurrent job limit. */
  public record Settings(int maxRetries, ToIntFunction<String> tenantJobLimit) {}

  public static String entityId(String tenant, String repo, long number) {
    return tenant + "/" + repo + "/" + number;
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Create, Get, Cancel, StartJob, FinishJob, LeaseLost, Resend {}

  /** Creates the pipeline (idempotent: a second Create answers with what exists). */
  public record Create(PipelineInfo info, ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Cancel(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  /** A runner that leased {@code attempt} of job {@code key} starts it. */
  public record StartJob(String key, int attempt, String leaseId, String runner, ActorRef<StatusReply<JobWork>> replyTo)
      implements Command {}

  /** {@code status}: SUCCEEDED, FAILED or CANCELLED. */
  public record FinishJob(String key, int attempt, String leaseId, Status status, Map<String, String> outputs,
      String reason, boolean failureAllowed, ActorRef<StatusReply<Done>> replyTo) implements Command {

    public FinishJob {
      // An immutable copy: it crosses nodes, where only registered collection types travel.
      outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
    }
  }

  /** From the queue: the lease ended without a result (runner gone or silent). */
  public record LeaseLost(String key, int attempt, String leaseId, String reason, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private record Resend() implements Command {}

  // ---- replies -----------------------------------------------------------------------------

  /** {@code status}: queued, running, succeeded, failed, cancelled. */
  public record Summary(PipelineInfo info, String status, List<PipelineJob> jobs, Instant finishedAt)
      implements CrossNodeMessage {}

  /** What a runner needs to run a job: the workflow snapshot and the contexts from outside the job. */
  public record JobWork(PipelineInfo info, String key, String jobId, int attempt, String matrixJson, String needsJson)
      implements CrossNodeMessage {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson
      permits PipelineCreated, JobQueued, JobStarted, JobFinished, CancelRequested, PipelineFinished {}

  public record PipelineCreated(PipelineInfo info, List<PipelineJob> jobs) implements Event {}

  public record JobQueued(String key, int attempt, Instant at) implements Event {}

  public record JobStarted(String key, int attempt, String leaseId, String runner, Instant at) implements Event {}

  public record JobFinished(String key, int attempt, String leaseId, Status status, Map<String, String> outputs,
      String reason, boolean failureAllowed, Instant at) implements Event {}

  public record CancelRequested(Instant at) implements Event {}

  /** {@code status}: succeeded, failed or cancelled. */
  public record PipelineFinished(String status, Instant at) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /** {@code status} null: not created. */
  public record State(PipelineInfo info, Map<String, PipelineJob> jobs, String status, boolean cancelRequested,
      Instant finishedAt) implements StoredJson {

    public State {
      jobs = jobs == null ? Map.of() : jobs;
    }

    static State empty() {
      return new State(null, Map.of(), null, false, null);
    }

    boolean finished() {
      return finishedAt != null;
    }

    /** The state after {@code e}; the event handler and the planner's look-ahead both use it. */
    State apply(Event e) {
      if (e instanceof PipelineCreated c) {
        Map<String, PipelineJob> js = new LinkedHashMap<>();
        c.jobs().forEach(j -> js.put(j.key(), j));
        return new State(c.info(), js, "queued", false, null);
      }
      if (e instanceof JobQueued q) {
        return withJob(jobs.get(q.key()).queued(q.attempt(), q.at()), status);
      }
      if (e instanceof JobStarted st) {
        return withJob(jobs.get(st.key()).started(st.leaseId(), st.runner(), st.at()), "running");
      }
      if (e instanceof JobFinished f) {
        PipelineJob job = jobs.get(f.key());
        return withJob(job.finished(f.status(), f.outputs(), f.reason(), f.failureAllowed(), f.at()), status);
      }
      if (e instanceof CancelRequested) {
        return new State(info, jobs, status, true, finishedAt);
      }
      PipelineFinished f = (PipelineFinished) e;
      return new State(info, jobs, f.status(), cancelRequested, f.at());
    }

    private State withJob(PipelineJob job, String newStatus) {
      Map<String, PipelineJob> js = new LinkedHashMap<>(jobs);
      js.put(job.key(), job);
      return new State(info, js, newStatus, cancelRequested, finishedAt);
    }
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private final String entityId;
  private final String tenant;
  private final Settings settings;
  private final ClusterSharding sharding;
  private final TimerScheduler<Command> timers;
  private Workflow workflow;

  private Pipeline(String entityId, Settings settings, ClusterSharding sharding, TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId), EntityDefaults.ON_PERSIST_FAILURE);
    this.entityId = entityId;
    this.tenant = entityId.substring(0, entityId.indexOf('/'));
    this.settings = settings;
    this.sharding = sharding;
    this.timers = timers;
  }

  public static Behavior<Command> create(String entityId, Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Pipeline(entityId, settings, ClusterSharding.get(ctx.getSystem()), timers)));
  }

  public static void init(ActorSystem<?> system, Settings settings) {
    EntitySharding.init(system, ENTITY_KEY, "pipeline", ctx -> create(ctx.getEntityId(), settings));
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
    return Set.of("tenant:" + tenant, "pipeline-" + Math.floorMod(entityId.hashCode(), TAG_SLICES));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (s.status() != null && !s.finished()) {
            timers.startTimerWithFixedDelay(new Resend(), RESEND);
          }
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> s.status() == null
            ? Effect().reply(c.replyTo(), notFound())
            : Effect().reply(c.replyTo(), StatusReply.success(summary(s))))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(StartJob.class, this::onStartJob)
        .onCommand(FinishJob.class, this::onFinishJob)
        .onCommand(LeaseLost.class, this::onLeaseLost)
        .onCommand(Resend.class, this::onResend)
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    if (s.status() != null) {
      return Effect().reply(c.replyTo(), StatusReply.success(summary(s)));
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    PipelineInfo info = c.info();
    List<PipelineJob> jobs = List.of();
    if (info.error() == null) {
      try {
        workflow = WorkflowParser.parse(info.file(), info.yaml());
        jobs = PipelinePlanner.expand(workflow, PipelineContexts.github(info, 1));
      } catch (WorkflowException e) {
        info = withError(info, new PipelineInfo.WorkflowError(e.file(), e.line(), e.column(), e.reason()));
      } catch (ExpressionException e) {
        info = withError(info, new PipelineInfo.WorkflowError(info.file(), 0, 0, e.getMessage()));
      }
    }
    events.add(new PipelineCreated(info, jobs));
    State created = s.apply(events.get(0));
    if (info.error() != null) {
      events.add(new PipelineFinished("failed", now));
    } else {
      events.addAll(PipelinePlanner.next(created, workflow(created), PipelineContexts.github(info, 1), now).events());
    }
    return Effect().persist(events)
        .thenRun(ns -> afterPersist(s, ns, List.of()))
        .thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns)));
  }

  private static PipelineInfo withError(PipelineInfo i, PipelineInfo.WorkflowError error) {
    return new PipelineInfo(i.tenant(), i.repo(), i.number(), i.file(), i.workflowName(), i.yaml(), i.ref(), i.sha(),
        i.before(), i.event(), i.actor(), error, i.createdAt(), i.notices());
  }

  private ReplyEffect<Event, State> onCancel(State s, Cancel c) {
    if (s.status() == null) {
      return Effect().reply(c.replyTo(), notFound());
    }
    if (s.finished() || s.cancelRequested()) {
      return Effect().reply(c.replyTo(), StatusReply.success(summary(s)));
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    events.add(new CancelRequested(now));
    State ns = s.apply(events.get(0));
    List<String> leases = new ArrayList<>();
    for (PipelineJob j : s.jobs().values()) {
      if (j.status() == Status.WAITING || j.status() == Status.QUEUED) {
        JobFinished f = new JobFinished(j.key(), j.attempt(), null, Status.CANCELLED, Map.of(),
            "the pipeline was cancelled", false, now);
        events.add(f);
        ns = ns.apply(f);
      } else if (j.status() == Status.RUNNING) {
        leases.add(j.leaseId());
      }
    }
    events.addAll(plan(ns, now).events());
    return Effect().persist(events)
        .thenRun(after -> {
          queue().tell(new JobQueue.CancelPipeline(entityId, leases));
          afterPersist(s, after, List.of());
        })
        .thenReply(c.replyTo(), after -> StatusReply.success(summary(after)));
  }

  private ReplyEffect<Event, State> onStartJob(State s, StartJob c) {
    PipelineJob job = s.jobs().get(c.key());
    if (job == null) {
      return Effect().reply(c.replyTo(), notFound());
    }
    if (job.status() == Status.RUNNING && c.leaseId().equals(job.leaseId())) {
      return Effect().reply(c.replyTo(), StatusReply.success(work(s, job)));
    }
    if (job.status() != Status.QUEUED || job.attempt() != c.attempt()) {
      return Effect().reply(c.replyTo(), stale(job, c.attempt()));
    }
    return Effect().persist(new JobStarted(c.key(), c.attempt(), c.leaseId(), c.runner(), Instant.now()))
        .thenReply(c.replyTo(), ns -> StatusReply.success(work(ns, ns.jobs().get(c.key()))));
  }

  private ReplyEffect<Event, State> onFinishJob(State s, FinishJob c) {
    PipelineJob job = s.jobs().get(c.key());
    if (job == null) {
      return Effect().reply(c.replyTo(), notFound());
    }
    if (job.status().terminal() && c.leaseId().equals(job.leaseId())) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    if (job.status() != Status.RUNNING || !c.leaseId().equals(job.leaseId())) {
      return Effect().reply(c.replyTo(), stale(job, c.attempt()));
    }
    Instant now = Instant.now();
    JobFinished f = new JobFinished(c.key(), c.attempt(), c.leaseId(), c.status(), c.outputs(), c.reason(),
        c.failureAllowed(), now);
    return persistWithPlan(s, f, now, c.replyTo());
  }

  private ReplyEffect<Event, State> onLeaseLost(State s, LeaseLost c) {
    PipelineJob job = s.jobs().get(c.key());
    boolean current = job != null && job.attempt() == c.attempt()
        && (job.status() == Status.QUEUED || (job.status() == Status.RUNNING && c.leaseId().equals(job.leaseId())));
    if (!current) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    Instant now = Instant.now();
    Event e;
    if (s.cancelRequested()) {
      e = new JobFinished(job.key(), job.attempt(), c.leaseId(), Status.CANCELLED, Map.of(), "the pipeline was cancelled",
          false, now);
    } else if (job.attempt() <= settings.maxRetries()) {
      e = new JobQueued(job.key(), job.attempt() + 1, now);
    } else {
      e = new JobFinished(job.key(), job.attempt(), c.leaseId(), Status.FAILED, Map.of(), "runner lost: " + c.reason(),
          false, now);
    }
    return persistWithPlan(s, e, now, c.replyTo());
  }

  private ReplyEffect<Event, State> persistWithPlan(State s, Event e, Instant now, ActorRef<StatusReply<Done>> replyTo) {
    List<Event> events = new ArrayList<>();
    events.add(e);
    PipelinePlanner.Plan plan = plan(s.apply(e), now);
    events.addAll(plan.events());
    return Effect().persist(events)
        .thenRun(ns -> afterPersist(s, ns, plan.leasesToCancel()))
        .thenReply(replyTo, ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onResend(State s, Resend c) {
    if (s.finished()) {
      timers.cancelAll();
    } else {
      s.jobs().values().stream().filter(j -> j.status() == Status.QUEUED).forEach(j -> enqueue(s, j));
    }
    return Effect().noReply();
  }

  /** Queues jobs that just became queued, withdraws cancelled ones, and keeps the resend timer. */
  private void afterPersist(State before, State after, List<String> leasesToCancel) {
    for (PipelineJob j : after.jobs().values()) {
      PipelineJob old = before.jobs().get(j.key());
      if (j.status() == Status.QUEUED && (old == null || old.status() != Status.QUEUED || old.attempt() != j.attempt())) {
        enqueue(after, j);
      }
    }
    if (!leasesToCancel.isEmpty()) {
      queue().tell(new JobQueue.CancelPipeline(entityId, leasesToCancel));
    }
    if (after.finished()) {
      timers.cancelAll();
    } else if (!timers.isTimerActive(new Resend())) {
      timers.startTimerWithFixedDelay(new Resend(), RESEND);
    }
  }

  private void enqueue(State s, PipelineJob j) {
    queue().tell(new JobQueue.Enqueue(new JobQueue.QueuedJob(
        tenant, entityId, j.key(), j.attempt(), j.runsOn(), settings.tenantJobLimit().applyAsInt(tenant),
        j.queuedAt())));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<JobQueue.Command> queue() {
    return sharding.entityRefFor(JobQueue.ENTITY_KEY, JobQueue.DEFAULT_POOL);
  }

  private PipelinePlanner.Plan plan(State s, Instant now) {
    return PipelinePlanner.next(s, workflow(s), PipelineContexts.github(s.info(), 1), now);
  }

  /** The parsed snapshot (parsed once per incarnation; it parsed when the pipeline was created). */
  private Workflow workflow(State s) {
    if (workflow == null) {
      try {
        workflow = WorkflowParser.parse(s.info().file(), s.info().yaml());
      } catch (WorkflowException e) {
        throw new IllegalStateException("the stored workflow of " + entityId + " no longer parses", e);
      }
    }
    return workflow;
  }

  private JobWork work(State s, PipelineJob job) {
    return new JobWork(s.info(), job.key(), job.jobId(), job.attempt(), job.matrixJson(),
        PipelineContexts.json(PipelinePlanner.needsContext(s, job)));
  }

  private static Summary summary(State s) {
    return new Summary(s.info(), s.status(), List.copyOf(s.jobs().values()), s.finishedAt());
  }

  private <T> StatusReply<T> notFound() {
    return Rejection.NOT_FOUND.reply("pipeline " + entityId + " or that job not found");
  }

  private static <T> StatusReply<T> stale(PipelineJob job, int attempt) {
    return Rejection.CONFLICT.reply("job " + job.key() + " attempt " + attempt + " is stale (the job is "
        + job.status().api() + ", attempt " + job.attempt() + ")");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
