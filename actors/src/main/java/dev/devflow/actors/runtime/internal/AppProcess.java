package dev.devflow.actors.runtime.internal;

import dev.devflow.actors.ci.run.LineReader;
import dev.devflow.actors.ci.run.ProcessGroup;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The OS process of one app instance run: {@code bash -c command} under {@code setsid}, so the app
 * and everything it starts form one process group whose id is the app's pid, and signals reach them
 * all. Beside it runs the watcher of {@code StepProcess}: if this JVM dies (kill -9 of the node),
 * the group is killed within a second, so a dead node leaves no app running on its port.
 *
 * <p>stdout and stderr are read by two daemon threads of their own ({@link LineReader}, lines of at
 * most 64 KiB) and handed to the line consumer, which must not block for long (an app blocks once a
 * pipe is full). Standard input is {@code /dev/null}.
 *
 * <p>{@link #ended()} completes with the exit code once the app's process exited and its output was
 * read; output held open by a process left behind is waited for {@link #DRAIN_AFTER_EXIT}. Then
 * the rest of the group is killed either way: an app's leftovers have nothing left to serve.
 *
 * <p>Thread-safe. Linux only.
 */
public final class AppProcess {

  static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(2);

  /** As in StepProcess: kill the group if the JVM (pid $1) dies first; then exec the app. */
  private static final String ORPHAN_WATCH = "jvm=$1; shift; "
      + "( while kill -0 \"$jvm\" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done; "
      + "kill -0 \"$jvm\" 2>/dev/null || kill -9 -$$ ) </dev/null >/dev/null 2>&1 & "
      + "exec \"$@\"";

  private final Process process;
  private final ProcessGroup group;
  private final CompletableFuture<Integer> ended = new CompletableFuture<>();

  private AppProcess(Process process) {
    this.process = process;
    this.group = new ProcessGroup(process.pid());
  }

  /** Starts {@code command} in {@code dir} with exactly {@code env}; output lines go to {@code lines}. */
  public static AppProcess start(String command, Path dir, Map<String, String> env, Consumer<String> lines)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of("setsid", "sh", "-c", ORPHAN_WATCH, "devflow-app",
        String.valueOf(ProcessHandle.current().pid()), "bash", "-c", command))
        .directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(env);
    AppProcess app = new AppProcess(builder.start());
    app.watch(lines);
    return app;
  }

  /** The app's pid, which is also its process group id. */
  public long pid() {
    return group.id();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** See the class comment. Never completes exceptionally. */
  public CompletableFuture<Integer> ended() {
    return ended.copy();
  }

  /** Sends {@code signal} ("TERM", "KILL") to the whole group. Blocks for the few ms kill takes. */
  public void signal(String signal) {
    group.signal(signal);
  }

  private void watch(Consumer<String> lines) {
    CompletableFuture<Void> out = pump(process.getInputStream(), lines, "stdout");
    CompletableFuture<Void> err = pump(process.getErrorStream(), lines, "stderr");
    CompletableFuture<Void> streams = CompletableFuture.allOf(out, err);
    process.onExit()
        .thenCompose(p -> streams.completeOnTimeout(null, DRAIN_AFTER_EXIT.toMillis(), TimeUnit.MILLISECONDS))
        .whenComplete((v, e) -> {
          group.signal("KILL");
          ended.complete(process.exitValue());
        });
  }

  private CompletableFuture<Void> pump(InputStream stream, Consumer<String> lines, String name) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try {
        LineReader.forEachLine(stream, lines);
      } catch (RuntimeException e) {
        // A failing consumer must not stop the draining: an app blocked on a full pipe would
        // look hung. Drain what is left without it.
        drain(stream);
      } catch (IOException e) {
        // A broken pipe: nothing more will come from it, which is the same as its end.
      } finally {
        try {
          stream.close();
        } catch (IOException e) {
          // nothing to do
        }
        done.complete(null);
      }
    }, "app-" + process.pid() + "-" + name);
    reader.setDaemon(true);
    reader.start();
    return done;
  }

  private static void drain(InputStream in) {
    try {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      // closed: nothing more to drain
    }
  }
}
