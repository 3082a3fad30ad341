package dev.devflow.agents;

import dev.devflow.actors.EntityDefaults;
import dev.devflow.actors.EntitySharding;
import dev.devflow.actors.Rejection;
import dev.devflow.agents.review.Review;
import dev.devflow.persistence.serialization.CrossNodeMessage;
import dev.devflow.persistence.serialization.StoredJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 * An AI agent of a tenant. Id: {@code tenant/name}. Tasks (pushed ranges to review) arrive from
 * the {@link ReviewTrigger}; the agent records TaskStarted before any work, runs one task at a
 * time in a supervised {@link TaskWorker} child, and records ReviewPosted or TaskFailed with the
 * outcome. A task id is recorded once: a push handed over twice, or a worker's late answer after
 * the task was retried, changes nothing, so each task posts exactly one review.
 *
 * <p>After a crash or a move to another node the entity restarts by itself (its sharding keeps
 * remembered entities) and runs the tasks that were started but not finished.
 */
public final class Agent
    extends EventSourcedBehaviorWithEnforcedReplies<Agent.Command, Agent.Event, Agent.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Agent");

  /** Tasks kept in the history the API shows; older ones remain in the journal. */
  static final int HISTORY = 20;

  /** Finished task ids remembered to refuse a repeat (the trigger hands over at most a batch twice). */
  static final int REMEMBERED = 500;

  public static String entityId(String tenant, String name) {
    return tenant + "/" + name;
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CrossNodeMessage
      permits Configure, Get, StartTask, WorkerFinished, WorkerStopped {}

  /** Creates the agent or changes its configuration (validated by the API). */
  public record Configure(AgentConfig config, ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<Summary>> replyTo) implements Command {}

  /** Acked once the task is recorded (or known, or not for this agent). */
  public record StartTask(ReviewTask task, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** From this agent's worker, never across nodes. */
  record WorkerFinished(String taskId, TaskOutcome outcome) implements Command {}

  /** The worker stopped without an outcome: its supervisor gave up. */
  record WorkerStopped(String taskId) implements Command {}

  // ---- replies -----------------------------------------------------------------------------

  /** {@code created}: this Configure made a new agent (201 rather than 200). */
  public record Summary(
      String tenant, String name, AgentConfig config, String status, String statusReason, int pending,
      long reviewsPosted, long tasksFailed, List<TaskRecord> history, boolean created, Instant createdAt,
      Instant updatedAt) implements CrossNodeMessage {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends StoredJson
      permits AgentConfigured, TaskStarted, ReviewPosted, TaskFailed, StatusChanged {}

  public record AgentConfigured(String tenant, String name, AgentConfig config, Instant at) implements Event {}

  public record TaskStarted(ReviewTask task, Instant at) implements Event {}

  public record ReviewPosted(
      String taskId, String repo, String ref, String before, String after, Review review, int skippedFiles,
      String model, double costUsd, Instant at) implements Event {}

  public record TaskFailed(String taskId, String reason, double costUsd, Instant at) implements Event {}

  public record StatusChanged(AgentStatus status, String reason, Instant at) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /** {@code config} null: never configured. {@code pending}: started, not finished, oldest first. */
  public record State(
      AgentConfig config, AgentStatus status, String statusReason, List<ReviewTask> pending, List<TaskRecord> history,
      List<String> finished, long reviewsPosted, long tasksFailed, Instant createdAt, Instant updatedAt)
      implements StoredJson {

    static State empty() {
      return new State(null, AgentStatus.IDLE, null, List.of(), List.of(), List.of(), 0, 0, null, null);
    }

    boolean exists() {
      return config != null;
    }

    boolean knows(String taskId) {
      return finished.contains(taskId) || pending.stream().anyMatch(t -> t.id().equals(taskId));
    }

    boolean isPending(String taskId) {
      return pending.stream().anyMatch(t -> t.id().equals(taskId));
    }

    State withConfig(AgentConfig c, Instant at) {
      return new State(c, status, statusReason, pending, history, finished, reviewsPosted, tasksFailed,
          createdAt == null ? at : createdAt, at);
    }

    State started(ReviewTask t, Instant at) {
      List<ReviewTask> p = new ArrayList<>(pending);
      p.add(t);
      List<TaskRecord> h = new ArrayList<>(history);
      h.add(0, TaskRecord.running(t, at));
      return new State(config, status, statusReason, List.copyOf(p), cap(h, HISTORY), finished, reviewsPosted,
          tasksFailed, createdAt, updatedAt);
    }

    State finish(String taskId, String outcome, String reason, double cost, Instant at) {
      List<ReviewTask> p = pending.stream().filter(t -> !t.id().equals(taskId)).toList();
      List<TaskRecord> h = history.stream()
          .map(r -> r.id().equals(taskId) ? r.finished(outcome, reason, cost, at) : r).toList();
      List<String> f = new ArrayList<>(finished);
      f.add(0, taskId);
      boolean posted = outcome.equals("posted");
      return new State(config, status, statusReason, p, h, cap(f, REMEMBERED), reviewsPosted + (posted ? 1 : 0),
          tasksFailed + (posted ? 0 : 1), createdAt, updatedAt);
    }

    State withStatus(AgentStatus s, String reason) {
      return new State(config, s, reason, pending, history, finished, reviewsPosted, tasksFailed, createdAt,
          updatedAt);
    }

    private static <T> List<T> cap(List<T> list, int max) {
      return List.copyOf(list.size() > max ? list.subList(0, max) : list);
    }
  }

  // ---- behaviour ---------------------------------------------------------------------------

  private final ActorContext<Command> ctx;
  private final TaskRunner runner;
  private final String tenant;
  private final String name;
  /** The task whose worker runs now (transient: after a restart, the first pending task runs). */
  private String running;
  private ActorRef<?> worker;

  private Agent(ActorContext<Command> ctx, String entityId, TaskRunner runner) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId), EntityDefaults.ON_PERSIST_FAILURE);
    this.ctx = ctx;
    this.runner = runner;
    int slash = entityId.indexOf('/');
    this.tenant = entityId.substring(0, slash);
    this.name = entityId.substring(slash + 1);
  }

  public static Behavior<Command> create(String entityId, TaskRunner runner) {
    return Behaviors.setup(ctx -> new Agent(ctx, entityId, runner));
  }

  public static void init(ActorSystem<?> system, TaskRunner runner) {
    EntitySharding.init(system, ENTITY_KEY, "agent", ctx -> create(ctx.getEntityId(), runner));
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
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::runNext).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Configure.class, this::onConfigure)
        .onCommand(Get.class, (s, c) -> s.exists()
            ? Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)))
            : Effect().reply(c.replyTo(), Rejection.NOT_FOUND.reply("agent " + tenant + "/" + name + " not found")))
        .onCommand(StartTask.class, this::onStartTask)
        .onCommand(WorkerFinished.class, this::onWorkerFinished)
        .onCommand(WorkerStopped.class, this::onWorkerStopped)
        .build();
  }

  private ReplyEffect<Event, State> onConfigure(State s, Configure c) {
    boolean created = !s.exists();
    if (!created && s.config().equals(c.config())) {
      return Effect().reply(c.replyTo(), StatusReply.success(summary(s, false)));
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    events.add(new AgentConfigured(tenant, name, c.config(), now));
    String unconfigured = runner.unconfiguredReason(tenant);
    if (unconfigured != null) {
      if (s.status() != AgentStatus.UNCONFIGURED) {
        events.add(new StatusChanged(AgentStatus.UNCONFIGURED, unconfigured, now));
      }
    } else if (created || s.status() == AgentStatus.UNCONFIGURED || s.status() == AgentStatus.PAUSED_BUDGET) {
      // A new budget or endpoint may let the agent work again; the next task tells.
      events.add(new StatusChanged(s.pending().isEmpty() ? AgentStatus.IDLE : AgentStatus.WORKING,
          created ? "configured" : "configuration changed", now));
    }
    return Effect().persist(events).thenReply(c.replyTo(), ns -> StatusReply.success(summary(ns, created)));
  }

  private ReplyEffect<Event, State> onStartTask(State s, StartTask c) {
    ReviewTask t = c.task();
    // Pushes from before the agent existed, to another repository, or already seen: nothing to do.
    if (!s.exists() || !t.repo().equals(s.config().repo()) || t.pushedAt().isBefore(s.createdAt())
        || s.knows(t.id())) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    events.add(new TaskStarted(t, now));
    if (s.status() == AgentStatus.IDLE) {
      events.add(new StatusChanged(AgentStatus.WORKING, "reviewing " + t.ref() + " " + shortId(t.after()), now));
    }
    return Effect().persist(events).thenRun(this::runNext).thenReply(c.replyTo(), ns -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onWorkerFinished(State s, WorkerFinished c) {
    if (c.taskId().equals(running)) {
      stopWorker();
    }
    if (!s.isPending(c.taskId())) {
      return Effect().noReply();
    }
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    TaskOutcome o = c.outcome();
    ReviewTask t = s.pending().stream().filter(p -> p.id().equals(c.taskId())).findFirst().orElseThrow();
    boolean more = s.pending().size() > 1;
    if (o instanceof TaskOutcome.Posted p) {
      events.add(new ReviewPosted(t.id(), t.repo(), t.ref(), t.before(), t.after(), p.review(), p.skippedFiles(),
          p.model(), p.costUsd(), now));
      AgentStatus next = more ? AgentStatus.WORKING : AgentStatus.IDLE;
      if (s.status() != next) {
        events.add(new StatusChanged(next, "review posted for " + t.ref() + " " + shortId(t.after()), now));
      }
    } else if (o instanceof TaskOutcome.Failed f) {
      events.add(new TaskFailed(t.id(), f.reason(), f.costUsd(), now));
      if (s.status() != f.status() || !f.reason().equals(s.statusReason())) {
        events.add(new StatusChanged(f.status(), f.reason(), now));
      }
    }
    return Effect().persist(events).thenRun(this::runNext).thenNoReply();
  }

  private ReplyEffect<Event, State> onWorkerStopped(State s, WorkerStopped c) {
    if (!c.taskId().equals(running)) {
      return Effect().noReply();
    }
    running = null;
    worker = null;
    if (!s.isPending(c.taskId())) {
      return Effect().noReply();
    }
    String reason = "the task's worker crashed " + (TaskWorker.MAX_RESTARTS + 1) + " times; see the node's log";
    Instant now = Instant.now();
    return Effect().persist(List.of(new TaskFailed(c.taskId(), reason, 0, now),
            new StatusChanged(AgentStatus.FAILING, reason, now)))
        .thenRun(this::runNext).thenNoReply();
  }

  /** Starts a worker for the oldest pending task unless one runs. */
  private void runNext(State s) {
    if (running != null || s.pending().isEmpty()) {
      return;
    }
    ReviewTask t = s.pending().get(0);
    running = t.id();
    ActorRef<TaskWorker.Command> w = ctx.spawnAnonymous(
        TaskWorker.supervised(runner, tenant, name, s.config(), t, ctx.getSelf()));
    ctx.watchWith(w, new WorkerStopped(t.id()));
    worker = w;
  }

  private void stopWorker() {
    if (worker != null) {
      ctx.unwatch(worker);
      ctx.stop(worker);
    }
    running = null;
    worker = null;
  }

  private Summary summary(State s, boolean created) {
    return new Summary(tenant, name, s.config(), s.status().api(), s.statusReason(), s.pending().size(),
        s.reviewsPosted(), s.tasksFailed(), s.history(), created, s.createdAt(), s.updatedAt());
  }

  private static String shortId(String sha) {
    return sha.length() > 7 ? sha.substring(0, 7) : sha;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(AgentConfigured.class, (s, e) -> s.withConfig(e.config(), e.at()))
        .onEvent(TaskStarted.class, (s, e) -> s.started(e.task(), e.at()))
        .onEvent(ReviewPosted.class, (s, e) -> s.finish(e.taskId(), "posted", null, e.costUsd(), e.at()))
        .onEvent(TaskFailed.class, (s, e) -> s.finish(e.taskId(), "failed", e.reason(), e.costUsd(), e.at()))
        .onEvent(StatusChanged.class, (s, e) -> s.withStatus(e.status(), e.reason()))
        .build();
  }
}
