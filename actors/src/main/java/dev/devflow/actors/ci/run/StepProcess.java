package dev.devflow.actors.ci.run;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process of one CI step. The script is written to a file in the command's temp dir and run
 * by its shell under {@code setsid}, so the step and everything it starts form one process group:
 * {@link #cancel()} and the timeout signal the whole group, grandchildren included.
 *
 * <p>Output: stdout and stderr are read on two threads of their own, line by line (a line longer
 * than 64 KiB arrives in pieces, see {@link LineReader}), and handed to the {@link LineSink} as
 * they come, one call at a time. The sink is called synchronously: while it works, the readers do
 * not read, the pipes fill, and the step blocks on its next write. That is the only back-pressure,
 * and it keeps memory flat however much a step prints. Standard input is {@code /dev/null}.
 *
 * <p>End: {@link #outcome()} completes once the step's process has exited and both streams
 * reached their end. A process left behind that still holds a stream open (a {@code server &}
 * started by the step) gets {@link #DRAIN_AFTER_EXIT} to close it, as on GitHub's runner; then the
 * group is killed, and streams that stay open even so (a process that left the group with
 * {@code setsid} of its own) are abandoned after {@link #ABANDON_AFTER}: their reader thread stays
 * blocked until the last writer closes, but the sink is not called again. Processes left behind
 * that hold neither stream keep running after a step that ended by itself (a step may start a
 * service for the next one); the job's end is the place to clean them up.
 *
 * <p>When the sink throws, the group is stopped as for a cancel, the output is drained without
 * the sink, and the outcome completes exceptionally with that exception.
 *
 * <p>Thread-safe. Linux only ({@code setsid}, {@code kill}).
 */
public final class StepProcess {

  /** From SIGTERM to SIGKILL when a step is cancelled or times out. */
  static final Duration KILL_AFTER = Duration.ofSeconds(5);
  /** How long streams may stay open after the step's process exited (GitHub's runner: 5 s too). */
  static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(5);
  /** After that group kill, how long to still wait for the streams before abandoning them. */
  static final Duration ABANDON_AFTER = Duration.ofSeconds(1);

  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "step-process-timer");
    t.setDaemon(true);
    return t;
  });

  private enum Stop { NONE, CANCELLED, TIMED_OUT, SINK_FAILED }

  private Process process; // set by launch, before watch; the pumps do not read it
  private ProcessGroup group;
  private final Path scriptFile;
  private final Path pipes;
  private final LineSink sink;
  /** Serialises sink calls, and orders them before abandonment: no call once that happened. */
  private final Object sinkLock = new Object();
  private final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
  private final AtomicReference<RuntimeException> sinkFailure = new AtomicReference<>();
  private final CompletableFuture<Void> streamsDone = new CompletableFuture<>();
  private CompletableFuture<Void> stdoutDone;
  private CompletableFuture<Void> stderrDone;
  private final CompletableFuture<StepOutcome> outcome = new CompletableFuture<>();
  private boolean abandoned; // guarded by sinkLock

  private StepProcess(Path scriptFile, Path pipes, LineSink sink) {
    this.scriptFile = scriptFile;
    this.pipes = pipes;
    this.sink = sink;
  }

  /**
   * Runs the step ({@code exec "$@"}, so it stays the leader of its new process group) beside a
   * watcher that kills the whole group if this JVM dies first: a runner killed with kill -9 must
   * not leave its job running while the job runs again elsewhere. The watcher ends within a second
   * of the step and holds none of its output pipes; it gets the JVM's pid as its first argument.
   */
  private static final String ORPHAN_WATCH = "jvm=$1; shift; "
      + "( while kill -0 \"$jvm\" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done; "
      + "kill -0 \"$jvm\" 2>/dev/null || kill -9 -$$ ) </dev/null >/dev/null 2>&1 & "
      + "exec \"$@\"";

  /**
   * Writes the script file and starts the step.
   *
   * @throws IOException when the script cannot be written or the process not started
   */
  public static StepProcess start(StepCommand command, LineSink sink) throws IOException {
    Path script = Files.createTempFile(command.tempDir(), "step-", command.scriptSuffix());
    Path pipes = null;
    StepProcess step = null;
    try {
      Files.writeString(script, command.script());
      pipes = Files.createTempDirectory(command.tempDir(), "step-pipes-");
      Path out = pipes.resolve("stdout");
      Path err = pipes.resolve("stderr");
      mkfifo(out, err);
      List<String> argv = new ArrayList<>(List.of("setsid", "sh", "-c", ORPHAN_WATCH, "devflow-step",
          String.valueOf(ProcessHandle.current().pid())));
      argv.addAll(command.commandLine(script));
      ProcessBuilder builder = new ProcessBuilder(argv)
          .directory(command.workingDirectory().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      builder.environment().clear();
      builder.environment().putAll(command.env());
      step = new StepProcess(script, pipes, sink);
      // The readers open the pipes first: opening a named pipe waits for the other end, and the
      // JDK opens the writing ends in start().
      step.stdoutDone = step.pump(out, false);
      step.stderrDone = step.pump(err, true);
      step.launch(builder);
      step.watch(command.timeout());
      return step;
    } catch (IOException | RuntimeException e) {
      if (step != null) {
        step.unblockReaders();
      }
      Files.deleteIfExists(script);
      deletePipes(pipes);
      throw e;
    }
  }

  private void launch(ProcessBuilder builder) throws IOException {
    process = builder.start();
    // setsid execs in place (a child of the JVM is never a group leader), so pid = group id.
    group = new ProcessGroup(process.pid());
  }

  /**
   * The step writes into named pipes that this JVM reads, not into the JDK's process pipes: when
   * the step's process exits, the JDK reads what is buffered in its pipes and closes them, so a
   * process left behind that still writes (a {@code server &}) looked finished and was never
   * killed. A named pipe ends only when its last writer closes it.
   */
  private static void mkfifo(Path... paths) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("mkfifo", "-m", "600"));
    for (Path p : paths) {
      cmd.add(p.toString());
    }
    Process mk = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!mk.waitFor(10, TimeUnit.SECONDS) || mk.exitValue() != 0) {
        throw new IOException("mkfifo failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while creating the step's pipes", e);
    }
  }

  /** After a failed start: a reader still waiting to open its pipe gets a writer and then its end. */
  private void unblockReaders() {
    for (String name : List.of("stdout", "stderr")) {
      // Read-write: never waits for the other end, unlike opening for writing only.
      try (RandomAccessFile unblock = new RandomAccessFile(pipes.resolve(name).toFile(), "rw")) {
        // opened and closed: that is all it takes
      } catch (IOException ignored) {
        // the pipe is gone: nobody waits on it
      }
    }
  }

  private static void deletePipes(Path pipes) {
    if (pipes == null) {
      return;
    }
    for (String name : List.of("stdout", "stderr")) {
      try {
        Files.deleteIfExists(pipes.resolve(name));
      } catch (IOException ignored) {
        // only litter in the runner's temp dir, which is cleaned with the job
      }
    }
    try {
      Files.deleteIfExists(pipes);
    } catch (IOException ignored) {
      // as above
    }
  }

  /** Completes after the process exited and its output was read (see the class comment). */
  public CompletableFuture<StepOutcome> outcome() {
    return outcome.copy();
  }

  /** SIGTERM to the group now, SIGKILL {@link #KILL_AFTER} later. No effect once it ended. */
  public void cancel() {
    stop(Stop.CANCELLED);
  }

  /** The id of the step's process group (= its process id). */
  public long pid() {
    return group.id();
  }

  private void watch(Duration timeout) {
    CompletableFuture.allOf(stdoutDone, stderrDone).thenRun(() -> streamsDone.complete(null));
    CompletableFuture<Process> exited = process.onExit();
    exited.thenRun(() -> {
      if (!streamsDone.isDone()) {
        TIMER.schedule(this::streamsHeldOpen, DRAIN_AFTER_EXIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    });
    ScheduledFuture<?> timer = timeout == null ? null : TIMER.schedule(() -> {
      if (process.isAlive()) {
        stop(Stop.TIMED_OUT);
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture.allOf(exited, streamsDone).whenComplete((v, e) -> finish(timer));
  }

  private CompletableFuture<Void> pump(Path pipe, boolean stderr) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (InputStream in = new FileInputStream(pipe.toFile())) {
        LineReader.forEachLine(in, text -> deliver(stderr, text));
      } catch (IOException e) {
        // The pipe broke: nothing more will come from it, which is the same as its end.
      } finally {
        done.complete(null);
      }
    }, "step-" + scriptFile.getFileName() + (stderr ? "-stderr" : "-stdout"));
    reader.setDaemon(true);
    reader.start();
    return done;
  }

  private void deliver(boolean stderr, String text) {
    synchronized (sinkLock) {
      if (abandoned || sinkFailure.get() != null) {
        return; // keep draining so the process does not block on a full pipe
      }
      try {
        sink.line(stderr, text);
      } catch (RuntimeException e) {
        sinkFailure.set(e);
        TIMER.execute(() -> stop(Stop.SINK_FAILED));
      }
    }
  }

  private void stop(Stop reason) {
    if (outcome.isDone() || !stop.compareAndSet(Stop.NONE, reason)) {
      return;
    }
    group.signal("TERM");
    TIMER.schedule(() -> {
      if (!outcome.isDone()) {
        group.signal("KILL");
      }
    }, KILL_AFTER.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void streamsHeldOpen() {
    if (streamsDone.isDone()) {
      return;
    }
    group.signal("KILL");
    TIMER.schedule(() -> {
      synchronized (sinkLock) {
        abandoned = true;
      }
      streamsDone.complete(null);
    }, ABANDON_AFTER.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void finish(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
    Stop reason = stop.get();
    if (reason != Stop.NONE) {
      // Members that ignored SIGTERM without holding a stream would otherwise outlive the stop.
      group.signal("KILL");
    }
    try {
      Files.deleteIfExists(scriptFile);
    } catch (IOException e) {
      // Only litter in the runner's temp dir, which is cleaned with the job.
    }
    deletePipes(pipes);
    RuntimeException failure = sinkFailure.get();
    if (failure != null) {
      outcome.completeExceptionally(failure);
    } else {
      outcome.complete(new StepOutcome(process.exitValue(), reason == Stop.TIMED_OUT, reason == Stop.CANCELLED));
    }
  }
}
