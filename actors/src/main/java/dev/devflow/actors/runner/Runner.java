package dev.devflow.actors.runner;

import dev.devflow.actors.pipeline.JobQueue;
import dev.devflow.actors.repo.GitStorage;
import dev.devflow.persistence.ci.JobLogStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A CI runner inside a node with the {@code runner} role: announces its labels and slots to the
 * {@link JobQueue} every second (and at once when a slot frees), takes the jobs the queue pushes
 * to it, runs each on a thread of its own ({@link JobExecution}), and stops jobs the queue says
 * must stop (cancelled, or their lease ended).
 *
 * <p>Actor state (the jobs in hand) is touched only by the actor; job threads talk to it by
 * message.
 */
public final class Runner {

  /** {@code labelAliases}: e.g. ubuntu-latest → linux, so workflows written for GitHub run. */
  public record Settings(String name, List<String> labels, int slots, Path workDir, GitStorage git,
      JobLogStore logs, long logCap, JobSecrets secrets, Duration heartbeat) {}

  sealed interface Command {}

  private record FromQueue(JobQueue.ToRunner message) implements Command {}

  private record Beat() implements Command {}

  record Ended(String leaseId) implements Command {}

  private final ActorContext<Command> ctx;
  private final Settings settings;
  private final String runnerId = UUID.randomUUID().toString();
  private final ActorRef<JobQueue.ToRunner> self;
  private final EntityRef<JobQueue.Command> queue;
  private final ExecutorService threads;
  private final Map<String, JobExecution> jobs = new HashMap<>();

  private Runner(ActorContext<Command> ctx, Settings settings) {
    this.ctx = ctx;
    this.settings = settings;
    this.self = ctx.messageAdapter(JobQueue.ToRunner.class, FromQueue::new);
    this.queue = ClusterSharding.get(ctx.getSystem()).entityRefFor(JobQueue.ENTITY_KEY, JobQueue.DEFAULT_POOL);
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(settings.slots(), r -> {
      Thread t = new Thread(r, "devflow-runner-slot-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static void start(ActorSystem<?> system, Settings settings) {
    system.systemActorOf(Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Beat(), settings.heartbeat());
      ctx.getSelf().tell(new Beat());
      return new Runner(ctx, settings).behavior();
    })), "ci-runner", Props.empty());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Beat.class, b -> {
          heartbeat();
          return Behaviors.same();
        })
        .onMessage(FromQueue.class, m -> {
          if (m.message() instanceof JobQueue.Assignment a) {
            onAssignment(a.lease());
          } else if (m.message() instanceof JobQueue.StopJobs s) {
            s.leaseIds().forEach(id -> {
              JobExecution job = jobs.get(id);
              if (job != null) {
                job.stop(s.reason());
              }
            });
          }
          return Behaviors.same();
        })
        .onMessage(Ended.class, e -> {
          jobs.remove(e.leaseId());
          heartbeat();
          return Behaviors.same();
        })
        .onSignal(PostStop.class, s -> {
          jobs.values().forEach(j -> j.stop("the runner is stopping"));
          threads.shutdown();
          return Behaviors.same();
        })
        .build();
  }

  private void onAssignment(JobQueue.Lease lease) {
    if (jobs.containsKey(lease.leaseId())) {
      return;
    }
    if (jobs.size() >= settings.slots()) {
      queue.tell(new JobQueue.Release(lease.leaseId(), true));
      return;
    }
    JobExecution job = new JobExecution(ctx.getSystem(), settings, lease, queue, ctx.getSelf());
    jobs.put(lease.leaseId(), job);
    threads.execute(job);
  }

  private void heartbeat() {
    queue.tell(new JobQueue.Heartbeat(runnerId, settings.name(), settings.labels(), settings.slots(),
        List.copyOf(jobs.keySet()), self));
  }
}
