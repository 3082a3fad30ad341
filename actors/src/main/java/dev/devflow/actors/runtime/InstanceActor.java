package dev.devflow.actors.runtime;

import dev.devflow.actors.runtime.RuntimeSupervisor.InstanceView;
import dev.devflow.actors.runtime.internal.AppProcess;
import dev.devflow.actors.runtime.internal.InstanceLog;
import dev.devflow.actors.runtime.internal.Launch;
import dev.devflow.actors.runtime.internal.OutputEntry;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.feed.FeedDraft;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One app instance under a {@link RuntimeSupervisor}: its runs (the first and every restart), its
 * health, its log, its end. See the supervisor for the contract.
 *
 * <p>Each run has a generation number; messages of an earlier run (a late health answer, the exit
 * of a process already replaced) are recognised by it and ignored. Blocking work runs on the
 * supervisor's blocking executor and comes back by {@code pipeToSelf}; the actor's own thread only
 * decides.
 */
final class InstanceActor {

  interface Msg {}

  /** A new reportTo for the instance (StartInstance of a known id). */
  record Rebind(ActorRef<InstanceEvent> reportTo) implements Msg {}

  record Stop(Duration drain) implements Msg {}

  private record Launched(int gen, AppProcess process, int port, Throwable failure) implements Msg {}

  private record Ended(int gen, int exitCode) implements Msg {}

  private record HealthTick(int gen) implements Msg {}

  private record Probed(int gen, boolean ok) implements Msg {}

  private record LiveTick(int gen) implements Msg {}

  /** {@code failure} null: the check passed. */
  private record LiveProbed(int gen, String failure) implements Msg {}

  private record HealthDeadline(int gen) implements Msg {}

  private record Diagnosed(int gen, String reason) implements Msg {}

  private record WorkerUp(int gen) implements Msg {}

  private record Restart(int gen) implements Msg {}

  private record Stable(int gen) implements Msg {}

  private record KillNow(int gen) implements Msg {}

  private record FlushTick() implements Msg {}

  private record FeedTick() implements Msg {}

  private record Flushed(Throwable failure) implements Msg {}

  private record CleanedUp(InstanceEvent report) implements Msg {}

  static final Duration WORKER_UP_AFTER = Duration.ofSeconds(2);
  static final Duration HEALTH_INTERVAL = Duration.ofMillis(250);
  static final Duration HEALTH_REQUEST_TIMEOUT = Duration.ofSeconds(1);
  static final Duration FLUSH_EVERY = Duration.ofMillis(200);
  /** At most one {@code instance.output} feed entry per instance this often. */
  static final Duration FEED_EVERY = Duration.ofSeconds(1);
  static final Duration SHUTDOWN_KILL_AFTER = Duration.ofSeconds(2);

  private final ActorContext<Msg> ctx;
  private final TimerScheduler<Msg> timers;
  private final InstanceSpec spec;
  private final ActorRef<RuntimeSupervisor.Command> parent;
  private final RuntimeSettings settings;
  private final BlobStore blobs;
  private final Executor blocking;
  private final HttpClient http;
  private final InstanceLog log;
  private final Consumer<FeedDraft> output;
  private final Path dir;

  private ActorRef<InstanceEvent> reportTo;
  private int gen;
  private boolean resumed;
  private boolean launching;
  private AppProcess process;
  private int port;
  private String status = "starting";
  private int restarts;
  private boolean everHealthy;
  private boolean stopping;
  private String failure;
  private String crashReason;
  private Duration backoff;
  private final ArrayDeque<Long> crashes = new ArrayDeque<>();
  private boolean flushing;
  private boolean flushFailed;
  private int livenessFailed;

  private InstanceActor(ActorContext<Msg> ctx, TimerScheduler<Msg> timers, InstanceSpec spec,
      ActorRef<InstanceEvent> reportTo, ActorRef<RuntimeSupervisor.Command> parent, RuntimeSettings settings,
      BlobStore blobs, JobLogStore logs, Consumer<FeedDraft> output, Executor blocking, HttpClient http) {
    this.ctx = ctx;
    this.timers = timers;
    this.spec = spec;
    this.reportTo = reportTo;
    this.parent = parent;
    this.settings = settings;
    this.blobs = blobs;
    this.blocking = blocking;
    this.http = http;
    this.log = new InstanceLog(logs, RuntimeSupervisor.logId(spec.tenant(), spec.app(), spec.instanceId()),
        spec.maskedValues(), settings.logCapBytes());
    this.output = output;
    this.dir = settings.workDir().resolve(spec.instanceId());
    this.backoff = settings.restartMin();
  }

  static Behavior<Msg> create(InstanceSpec spec, ActorRef<InstanceEvent> reportTo,
      ActorRef<RuntimeSupervisor.Command> parent, RuntimeSettings settings, BlobStore blobs, JobLogStore logs,
      Consumer<FeedDraft> output, Executor blocking, HttpClient http) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      InstanceActor a =
          new InstanceActor(ctx, timers, spec, reportTo, parent, settings, blobs, logs, output, blocking, http);
      timers.startTimerWithFixedDelay(new FlushTick(), FLUSH_EVERY);
      timers.startTimerWithFixedDelay(new FeedTick(), FEED_EVERY);
      a.launch();
      return a.behavior();
    }));
  }

  private Behavior<Msg> behavior() {
    return Behaviors.receive(Msg.class)
        .onMessage(Launched.class, this::onLaunched)
        .onMessage(Ended.class, this::onEnded)
        .onMessage(HealthTick.class, this::onHealthTick)
        .onMessage(Probed.class, this::onProbed)
        .onMessage(HealthDeadline.class, this::onHealthDeadline)
        .onMessage(LiveTick.class, this::onLiveTick)
        .onMessage(LiveProbed.class, this::onLiveProbed)
        .onMessage(Diagnosed.class, d -> current(d.gen()) && status.equals("starting") ? fail(d.reason()) : same())
        .onMessage(WorkerUp.class, w -> current(w.gen()) && status.equals("starting") && process != null ? healthy() : same())
        .onMessage(Restart.class, r -> current(r.gen()) && status.equals("crashed") && !stopping ? restart() : same())
        .onMessage(Stable.class, this::onStable)
        .onMessage(KillNow.class, k -> {
          if (current(k.gen()) && process != null) {
            signal(process, "KILL");
          }
          return same();
        })
        .onMessage(Stop.class, this::onStop)
        .onMessage(Rebind.class, this::onRebind)
        .onMessage(FlushTick.class, t -> flush())
        .onMessage(FeedTick.class, t -> {
          sendOutput();
          return same();
        })
        .onMessage(Flushed.class, this::onFlushed)
        .onMessage(CleanedUp.class, this::onCleanedUp)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private static Behavior<Msg> same() {
    return Behaviors.same();
  }

  private boolean current(int g) {
    return g == gen;
  }

  // --- runs ---------------------------------------------------------------------------------

  private void launch() {
    int g = ++gen;
    launching = true;
    status = "starting";
    publish();
    log.notice((restarts == 0 ? "starting" : "restarting (" + restarts + ")") + " release " + spec.release() + " "
        + spec.processType() + ": " + spec.command());
    boolean resume = !resumed;
    resumed = true;
    int previousPort = port;
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        if (resume) {
          log.resume();
        }
        Launch.deleteTree(dir);
        blobs.unpack(spec.artifact(), dir);
        int p = Launch.freePort(previousPort);
        AppProcess app = AppProcess.start(spec.command(), dir, Launch.environment(spec.env(), p), log::line);
        return new Launched(g, app, p, null);
      } catch (Exception e) {
        return new Launched(g, null, 0, e);
      }
    }, blocking), (launched, e) -> e != null ? new Launched(g, null, 0, e) : launched);
  }

  private Behavior<Msg> onLaunched(Launched l) {
    if (!current(l.gen())) {
      if (l.process() != null) {
        signal(l.process(), "KILL");
      }
      return same();
    }
    launching = false;
    if (l.failure() != null) {
      return stopping ? cleanUp(new InstanceEvent.Stopped(spec.instanceId()))
          : fail("cannot start: " + l.failure().getMessage());
    }
    process = l.process();
    port = l.port();
    int g = gen;
    ctx.pipeToSelf(process.ended(), (code, e) -> new Ended(g, code == null ? -1 : code));
    if (stopping) {
      signal(process, "KILL");
      return same();
    }
    publish();
    if (spec.healthPath() == null) {
      timers.startSingleTimer("health", new WorkerUp(g), WORKER_UP_AFTER);
    } else {
      ctx.getSelf().tell(new HealthTick(g));
      timers.startSingleTimer("deadline", new HealthDeadline(g), Duration.ofSeconds(spec.healthTimeoutSeconds()));
    }
    return same();
  }

  private Behavior<Msg> onHealthTick(HealthTick t) {
    if (!current(t.gen()) || !status.equals("starting") || process == null) {
      return same();
    }
    int g = t.gen();
    ctx.pipeToSelf(checkHealth(HEALTH_REQUEST_TIMEOUT), (failure, e) -> new Probed(g, e == null && failure.isEmpty()));
    return same();
  }

  /** One GET of the health path: empty when it answered below 500, else what went wrong. */
  private CompletableFuture<Optional<String>> checkHealth(Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + spec.healthPath()))
        .timeout(timeout).GET().build();
    int p = port;
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((response, e) -> {
      if (e != null) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return Optional.of(cause instanceof java.net.http.HttpTimeoutException
            ? "no answer within " + timeout.toMillis() + " ms" : "cannot connect to port " + p);
      }
      return response.statusCode() >= 500 ? Optional.of("answered " + response.statusCode()) : Optional.empty();
    });
  }

  private Behavior<Msg> onProbed(Probed p) {
    if (!current(p.gen()) || !status.equals("starting") || process == null) {
      return same();
    }
    if (p.ok()) {
      return healthy();
    }
    timers.startSingleTimer("health", new HealthTick(p.gen()), HEALTH_INTERVAL);
    return same();
  }

  private Behavior<Msg> healthy() {
    timers.cancel("deadline");
    timers.cancel("health");
    status = "healthy";
    everHealthy = true;
    publish();
    log.notice("healthy on port " + port + " (pid " + process.pid() + ")");
    reportTo.tell(new InstanceEvent.Healthy(spec.instanceId(), settings.advertisedHost(), port, process.pid(), restarts));
    timers.startSingleTimer("stable", new Stable(gen), RuntimeSupervisor.STABLE_AFTER);
    if (spec.healthPath() != null) {
      livenessFailed = 0;
      timers.startSingleTimer("live", new LiveTick(gen), settings.livenessInterval());
    }
    return same();
  }

  /** A healthy instance is checked again now and then: a hung app is restarted, not routed to. */
  private Behavior<Msg> onLiveTick(LiveTick t) {
    if (!current(t.gen()) || !status.equals("healthy") || process == null) {
      return same();
    }
    int g = t.gen();
    ctx.pipeToSelf(checkHealth(settings.livenessInterval()),
        (failure, e) -> new LiveProbed(g, e != null ? e.toString() : failure.orElse(null)));
    return same();
  }

  private Behavior<Msg> onLiveProbed(LiveProbed p) {
    if (!current(p.gen()) || !status.equals("healthy") || process == null) {
      return same();
    }
    livenessFailed = p.failure() == null ? 0 : livenessFailed + 1;
    if (livenessFailed >= settings.livenessFailures()) {
      crashReason = "stopped answering health checks on " + spec.healthPath() + " (" + livenessFailed
          + " in a row failed, the last: " + p.failure() + ")";
      signal(process, "KILL"); // Ended then counts it as a crash and restarts it
      return same();
    }
    timers.startSingleTimer("live", new LiveTick(p.gen()), settings.livenessInterval());
    return same();
  }

  private Behavior<Msg> onHealthDeadline(HealthDeadline d) {
    if (!current(d.gen()) || !status.equals("starting") || process == null) {
      return same();
    }
    timers.cancel("health");
    if (everHealthy) {
      crashReason = "did not answer health checks within " + spec.healthTimeoutSeconds() + " s after a restart";
      signal(process, "KILL"); // Ended then counts it as a crash
      return same();
    }
    long pid = process.pid();
    int g = d.gen();
    ctx.pipeToSelf(CompletableFuture.supplyAsync(
            () -> Launch.healthTimeout(pid, port, spec.healthPath(), spec.healthTimeoutSeconds()), blocking),
        (reason, e) -> new Diagnosed(g, e == null ? reason : "no answer to health checks within "
            + spec.healthTimeoutSeconds() + " s"));
    return same();
  }

  private Behavior<Msg> onEnded(Ended e) {
    if (!current(e.gen())) {
      return same();
    }
    process = null;
    timers.cancel("health");
    timers.cancel("deadline");
    timers.cancel("stable");
    timers.cancel("live");
    if (stopping) {
      log.notice("stopped (exit code " + e.exitCode() + ")");
      return cleanUp(new InstanceEvent.Stopped(spec.instanceId()));
    }
    if (status.equals("failed")) {
      return cleanUp(null);
    }
    String exited = "exited with code " + e.exitCode() + (e.exitCode() > 128 ? " (signal " + (e.exitCode() - 128) + ")" : "");
    if (!everHealthy) {
      String before = spec.healthPath() == null ? " before running " + WORKER_UP_AFTER.toSeconds() + " s"
          : " before answering health checks";
      return fail(exited + before + Launch.lastOutput(log.lastLines()));
    }
    String reason = crashReason != null ? crashReason : exited;
    crashReason = null;
    log.notice(reason);
    long now = System.nanoTime();
    crashes.addLast(now);
    while (!crashes.isEmpty() && now - crashes.peekFirst() > settings.crashLoopWindow().toNanos()) {
      crashes.removeFirst();
    }
    if (crashes.size() > settings.crashLoopLimit()) {
      return fail("crash loop: " + crashes.size() + " crashes within " + settings.crashLoopWindow().toSeconds()
          + " s, the last one " + reason + Launch.lastOutput(log.lastLines()));
    }
    reportTo.tell(new InstanceEvent.Crashed(spec.instanceId(), e.exitCode(), restarts, reason));
    status = "crashed";
    publish();
    log.notice("restarting in " + backoff.toMillis() + " ms");
    timers.startSingleTimer("restart", new Restart(gen), backoff);
    Duration doubled = backoff.multipliedBy(2);
    backoff = doubled.compareTo(settings.restartMax()) > 0 ? settings.restartMax() : doubled;
    return same();
  }

  private Behavior<Msg> restart() {
    restarts++;
    launch();
    return same();
  }

  private Behavior<Msg> onStable(Stable s) {
    if (current(s.gen()) && status.equals("healthy")) {
      backoff = settings.restartMin();
    }
    return same();
  }

  /** Final: reports Failed, kills what runs, cleans up; the instance stays listed until stopped. */
  private Behavior<Msg> fail(String reason) {
    failure = reason;
    status = "failed";
    timers.cancel("health");
    timers.cancel("deadline");
    timers.cancel("restart");
    publish();
    log.notice("failed: " + reason);
    reportTo.tell(new InstanceEvent.Failed(spec.instanceId(), reason));
    if (process != null) {
      signal(process, "KILL"); // Ended cleans up
      return same();
    }
    return cleanUp(null);
  }

  // --- stop -----------------------------------------------------------------------------------

  private Behavior<Msg> onStop(Stop stop) {
    if (stopping) {
      return same();
    }
    stopping = true;
    boolean wasFailed = status.equals("failed");
    status = "stopping";
    timers.cancel("restart");
    publish();
    if (process != null) {
      log.notice("stopping: SIGTERM, SIGKILL after " + stop.drain().toMillis() + " ms");
      signal(process, "TERM");
      timers.startSingleTimer("kill", new KillNow(gen), stop.drain());
      return same();
    }
    if (launching) {
      return same(); // Launched kills it
    }
    if (!wasFailed) {
      log.notice("stopped");
    }
    return cleanUp(new InstanceEvent.Stopped(spec.instanceId()));
  }

  /** Deletes the work dir and stores the log; then {@code report}, if any, and for Stopped the end. */
  private Behavior<Msg> cleanUp(InstanceEvent report) {
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
      try {
        Launch.deleteTree(dir);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, blocking), (v, e) -> {
      if (e != null) {
        ctx.getLog().warn("cannot delete the work dir {} of instance {}", dir, spec.instanceId(), e);
      }
      return new CleanedUp(report);
    });
    return same();
  }

  private Behavior<Msg> onCleanedUp(CleanedUp c) {
    if (c.report() instanceof InstanceEvent.Stopped stopped) {
      sendOutput();
      CompletableFuture.runAsync(log::flush, blocking).whenComplete((v, e) -> reportTo.tell(stopped));
      return Behaviors.stopped();
    }
    return same();
  }

  private Behavior<Msg> onRebind(Rebind r) {
    reportTo = r.reportTo();
    if (status.equals("healthy") && process != null) {
      reportTo.tell(new InstanceEvent.Healthy(spec.instanceId(), settings.advertisedHost(), port, process.pid(), restarts));
    } else if (status.equals("failed")) {
      reportTo.tell(new InstanceEvent.Failed(spec.instanceId(), failure));
    }
    return same();
  }

  private Behavior<Msg> onPostStop() {
    AppProcess app = process;
    if (app != null) {
      // Node shutdown (or a supervisor failure): no orphans. A plain thread, as the dispatchers
      // may be shutting down too; the group watcher covers a JVM that dies before it is done.
      Thread t = new Thread(() -> {
        app.signal("TERM");
        try {
          app.ended().get(SHUTDOWN_KILL_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          app.signal("KILL");
        }
        try {
          Launch.deleteTree(dir);
          log.notice("stopped: the runtime node is shutting down");
          log.flush();
        } catch (Exception e) {
          // the database may be gone already at shutdown
        }
      }, "instance-stop-" + spec.instanceId());
      t.start();
    }
    return same();
  }

  // --- helpers --------------------------------------------------------------------------------

  private Behavior<Msg> flush() {
    if (!flushing) {
      flushing = true;
      ctx.pipeToSelf(CompletableFuture.runAsync(log::flush, blocking), (v, e) -> new Flushed(e));
    }
    return same();
  }

  private Behavior<Msg> onFlushed(Flushed f) {
    flushing = false;
    if (f.failure() != null && !flushFailed) {
      ctx.getLog().warn("cannot store the log of instance {}; retrying", spec.instanceId(), f.failure());
    }
    flushFailed = f.failure() != null;
    return same();
  }

  private void sendOutput() {
    log.drainForFeed().ifPresent(lines -> output.accept(OutputEntry.of(spec, lines, Instant.now())));
  }

  private void signal(AppProcess app, String signal) {
    CompletableFuture.runAsync(() -> app.signal(signal), blocking);
  }

  private void publish() {
    parent.tell(new RuntimeSupervisor.StatusChanged(new InstanceView(spec.instanceId(), spec.tenant(), spec.app(),
        spec.release(), spec.processType(), status, process == null ? 0 : process.pid(), port, restarts), ctx.getSelf()));
  }
}
