package dev.devflow.actors.runner;

import dev.devflow.actors.ci.run.JobLog;
import dev.devflow.actors.ci.run.SecretMasker;
import dev.devflow.actors.ci.workflow.Workflow;
import dev.devflow.actors.ci.workflow.WorkflowParser;
import dev.devflow.actors.pipeline.JobQueue;
import dev.devflow.actors.pipeline.Pipeline;
import dev.devflow.actors.pipeline.PipelineJob.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leased job on one runner slot, start to end: tells the Pipeline it starts (which fences a
 * stale lease out), prepares a fresh workspace with the commit checked out, runs the steps
 * ({@link JobRun}) with the job's log open, reports the result (retrying while the cluster is
 * busy), removes the workspace and hands the lease back.
 *
 * <p>Runs on a runner thread; {@link #stop} may be called from the runner actor at any time.
 */
final class JobExecution implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(JobExecution.class);
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final int REPORT_ATTEMPTS = 10;
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "devflow-job-timeouts");
    t.setDaemon(true);
    return t;
  });

  private final Runner.Settings settings;
  private final JobQueue.Lease lease;
  private final EntityRef<JobQueue.Command> queue;
  private final EntityRef<Pipeline.Command> pipeline;
  private final ActorRef<Runner.Command> runner;
  private volatile JobRun run;
  private volatile String stopReason;

  JobExecution(ActorSystem<?> system, Runner.Settings settings, JobQueue.Lease lease,
      EntityRef<JobQueue.Command> queue, ActorRef<Runner.Command> runner) {
    this.settings = settings;
    this.lease = lease;
    this.queue = queue;
    this.runner = runner;
    this.pipeline = ClusterSharding.get(system).entityRefFor(Pipeline.ENTITY_KEY, lease.job().pipelineId());
  }

  void stop(String reason) {
    stopReason = reason;
    JobRun r = run;
    if (r != null) {
      r.cancel();
    }
  }

  @Override
  public void run() {
    JobQueue.QueuedJob job = lease.job();
    Path dir = settings.workDir().resolve(lease.leaseId());
    boolean started = false;
    try {
      Pipeline.JobWork work;
      try {
        work = pipeline.<Pipeline.JobWork>askWithStatus(
            reply -> new Pipeline.StartJob(job.key(), job.attempt(), lease.leaseId(), settings.name(), reply), ASK)
            .toCompletableFuture().join();
      } catch (CompletionException e) {
        log.info("job {} of {} not started: {}", job.key(), job.pipelineId(), e.getCause().getMessage());
        return;
      }
      started = true;
      JobRun.Result result = execute(work, dir);
      report(result);
    } catch (RuntimeException e) {
      log.error("job {} of {} broke the runner's job thread", job.key(), job.pipelineId(), e);
      if (started) {
        report(new JobRun.Result(Status.FAILED, Map.of(), "runner error: " + e, false));
      }
    } finally {
      deleteQuietly(dir);
      queue.tell(new JobQueue.Release(lease.leaseId(), false));
      runner.tell(new Runner.Ended(lease.leaseId()));
    }
  }

  private JobRun.Result execute(Pipeline.JobWork work, Path dir) {
    String logId = work.info().pipelineId() + "/" + work.key();
    Map<String, String> secrets = Map.of();
    String secretsError = null;
    try {
      secrets = settings.secrets().forJob(work.info().tenant(), work.info().repo(), logId + "#" + work.attempt());
    } catch (RuntimeException e) {
      secretsError = "cannot read the job's secrets: " + e.getMessage();
    }
    try (JobLog jobLog = new JobLog(settings.logs(), logId, work.attempt(), new SecretMasker(secrets.values()),
        settings.logCap())) {
      ScheduledFuture<?> flusher = TIMERS.scheduleWithFixedDelay(jobLog::flush, 200, 200, TimeUnit.MILLISECONDS);
      ScheduledFuture<?> timeout = null;
      try {
        jobLog.notice("Runner " + settings.name() + ", attempt " + work.attempt());
        if (secretsError != null) {
          jobLog.notice("Error: " + secretsError);
          return new JobRun.Result(Status.FAILED, Map.of(), secretsError, false);
        }
        Path workspace = dir.resolve("workspace");
        Path temp = dir.resolve("temp");
        Files.createDirectories(temp);
        String checkout = checkout(work, workspace);
        if (checkout != null) {
          jobLog.notice("Error: " + checkout);
          return new JobRun.Result(Status.FAILED, Map.of(), checkout, false);
        }
        Workflow workflow = WorkflowParser.parse(work.info().file(), work.info().yaml());
        JobRun jobRun = new JobRun(work, workflow, workspace, temp, secrets, jobLog, settings.name());
        run = jobRun;
        if (stopReason != null) {
          jobRun.cancel();
        }
        double minutes = workflow.jobs().get(work.jobId()).timeoutMinutes();
        timeout = TIMERS.schedule(jobRun::timeOut, (long) (minutes * 60_000), TimeUnit.MILLISECONDS);
        JobRun.Result result = jobRun.run();
        jobLog.notice("Job " + (result.status() == Status.SUCCEEDED ? "succeeded"
            : result.status() == Status.CANCELLED ? "cancelled" : "failed: " + result.reason()));
        return result;
      } catch (IOException | dev.devflow.actors.ci.workflow.WorkflowException e) {
        jobLog.notice("Error: " + e.getMessage());
        return new JobRun.Result(Status.FAILED, Map.of(), e.getMessage(), false);
      } finally {
        flusher.cancel(false);
        if (timeout != null) {
          timeout.cancel(false);
        }
      }
    }
  }

  /** Checks the commit out from git storage; null, or why it failed. */
  private String checkout(Pipeline.JobWork work, Path workspace) {
    try {
      WorkspaceCheckout.checkout(settings.git().dir(work.info().tenant(), work.info().repo()), work.info().sha(),
          workspace);
      return null;
    } catch (IOException | RuntimeException e) {
      return "checkout of " + work.info().sha() + " failed: " + e.getMessage();
    }
  }

  /** Reports until the Pipeline answers: a lost result would leave the job running forever. */
  private void report(JobRun.Result result) {
    JobQueue.QueuedJob job = lease.job();
    for (int attempt = 1; attempt <= REPORT_ATTEMPTS; attempt++) {
      try {
        pipeline.<Done>askWithStatus(reply -> new Pipeline.FinishJob(job.key(), job.attempt(), lease.leaseId(),
            result.status(), result.outputs(), result.reason(), result.failureAllowed(), reply), ASK)
            .toCompletableFuture().join();
        return;
      } catch (CompletionException e) {
        if (e.getCause() instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage) {
          log.info("result of job {} of {} not taken: {}", job.key(), job.pipelineId(), e.getCause().getMessage());
          return;
        }
        log.warn("cannot report job {} of {} (attempt {}): {}", job.key(), job.pipelineId(), attempt, e.getCause());
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot remove workspace {}: {}", dir, e.toString());
    }
  }
}
