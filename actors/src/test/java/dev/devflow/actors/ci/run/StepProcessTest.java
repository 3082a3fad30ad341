package dev.devflow.actors.ci.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: shells, environment, process-group kills, and output streaming. */
class StepProcessTest {

  static final Map<String, String> BASE_ENV = Map.of("PATH", System.getenv("PATH"), "HOME", System.getProperty("user.home"));

  @TempDir Path dir;

  /** Collects lines, stdout and stderr apart; the stdout queue lets a test react while it runs. */
  static final class Lines implements LineSink {
    final List<String> out = new ArrayList<>();
    final List<String> err = new ArrayList<>();
    final BlockingQueue<String> live = new LinkedBlockingQueue<>();

    @Override
    public synchronized void line(boolean stderr, String text) {
      (stderr ? err : out).add(text);
      if (!stderr) {
        live.add(text);
      }
    }

    String next() throws InterruptedException {
      String line = live.poll(30, TimeUnit.SECONDS);
      assertTrue(line != null, "no output within 30 s");
      return line;
    }
  }

  StepCommand command(String script, String shell) {
    return new StepCommand(script, shell, dir, BASE_ENV, null, dir);
  }

  static StepOutcome run(StepCommand command, Lines lines) throws Exception {
    return StepProcess.start(command, lines).outcome().get(60, TimeUnit.SECONDS);
  }

  @Test
  void exitCodesAndOutput() throws Exception {
    Lines lines = new Lines();
    StepOutcome ok = run(command("echo hello\necho world", null), lines);
    assertEquals(new StepOutcome(0, false, false), ok);
    assertTrue(ok.succeeded());
    assertEquals(List.of("hello", "world"), lines.out);
    StepOutcome failed = run(command("exit 3", null), new Lines());
    assertEquals(3, failed.exitCode());
    assertFalse(failed.succeeded());
  }

  @Test
  void bashStopsAtTheFirstFailingCommandAndPipeline() throws Exception {
    Lines lines = new Lines();
    assertEquals(1, run(command("echo before\nfalse\necho after", "bash"), lines).exitCode());
    assertEquals(List.of("before"), lines.out);
    Lines piped = new Lines();
    assertEquals(1, run(command("false | true\necho after", null), piped).exitCode(), "pipefail");
    assertEquals(List.of(), piped.out);
  }

  @Test
  void shIsAPosixShellWithErrexit() throws Exception {
    Lines lines = new Lines();
    StepOutcome outcome = run(command("[ -z \"$BASH_VERSION\" ] && echo not-bash\nfalse\necho after", "sh"), lines);
    assertEquals(1, outcome.exitCode());
    assertEquals(List.of("not-bash"), lines.out);
    Lines piped = new Lines();
    assertEquals(0, run(command("false | true\necho after", "sh"), piped).exitCode(), "sh has no pipefail");
    assertEquals(List.of("after"), piped.out);
  }

  @Test
  void python() throws Exception {
    Lines lines = new Lines();
    StepOutcome outcome = run(command("import sys\nprint('py', sys.version_info[0])\nsys.exit(4)", "python"), lines);
    assertEquals(4, outcome.exitCode());
    assertEquals(List.of("py 3"), lines.out);
  }

  @Test
  void customShellTemplate() throws Exception {
    Lines lines = new Lines();
    assertEquals(0, run(command("echo hi", "bash -x {0}"), lines).exitCode());
    assertEquals(List.of("hi"), lines.out);
    assertEquals(List.of("+ echo hi"), lines.err, "xtrace goes to stderr");
    assertThrows(IllegalArgumentException.class, () -> command("echo hi", "bash -x"));
  }

  @Test
  void stderrLinesAreTold() throws Exception {
    Lines lines = new Lines();
    run(command("echo out\necho err >&2\necho out2", null), lines);
    assertEquals(List.of("out", "out2"), lines.out);
    assertEquals(List.of("err"), lines.err);
  }

  @Test
  void theEnvironmentIsExactlyTheGivenOne() throws Exception {
    Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "DEVFLOW_ONLY", "yes, with = and spaces");
    Lines lines = new Lines();
    StepProcess.start(new StepCommand("env", "bash", dir, env, null, dir), lines).outcome().get(60, TimeUnit.SECONDS);
    Map<String, String> seen = new HashMap<>();
    for (String line : lines.out) {
      seen.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
    }
    // bash itself exports these three into every command it runs.
    seen.keySet().removeAll(List.of("PWD", "SHLVL", "_"));
    assertEquals(env, seen);
  }

  @Test
  void runsInTheWorkingDirectoryAndRemovesTheScript() throws Exception {
    Path work = Files.createDirectory(dir.resolve("work"));
    Path temp = Files.createDirectory(dir.resolve("temp"));
    Lines lines = new Lines();
    StepProcess.start(new StepCommand("pwd\nls \"$(dirname \"$0\")\"", null, work, BASE_ENV, null, temp), lines)
        .outcome().get(60, TimeUnit.SECONDS);
    assertEquals(work.toRealPath().toString(), lines.out.get(0));
    assertTrue(lines.out.get(1).startsWith("step-") && lines.out.get(1).endsWith(".sh"), "script in tempDir: " + lines.out);
    try (var left = Files.list(temp)) {
      assertEquals(List.of(), left.toList(), "the script file is deleted at the end");
    }
  }

  @Test
  void aTimeoutKillsTheWholeGroupIncludingABackgroundGrandchild() throws Exception {
    Lines lines = new Lines();
    StepProcess step = StepProcess.start(
        new StepCommand("sleep 1000 &\necho $!\nsleep 1000", null, dir, BASE_ENV, Duration.ofSeconds(1), dir), lines);
    long grandchild = Long.parseLong(lines.next());
    assertTrue(running(grandchild));
    assertEquals(step.pid(), processGroupOf(grandchild), "the step is a process group of its own");
    StepOutcome outcome = step.outcome().get(60, TimeUnit.SECONDS);
    assertTrue(outcome.timedOut());
    assertFalse(outcome.cancelled());
    assertFalse(outcome.succeeded());
    awaitTrue(() -> !running(grandchild), "the background sleep is killed with the step");
  }

  @Test
  void cancelKillsTheGroup() throws Exception {
    Lines lines = new Lines();
    StepProcess step = StepProcess.start(command("sleep 1000 &\necho $!\nsleep 1000", null), lines);
    long grandchild = Long.parseLong(lines.next());
    step.cancel();
    StepOutcome outcome = step.outcome().get(60, TimeUnit.SECONDS);
    assertEquals(new StepOutcome(128 + 15, false, true), outcome, "SIGTERM ended bash");
    awaitTrue(() -> !running(grandchild), "the background sleep is killed with the step");
  }

  @Test
  void aStepIgnoringSigtermIsKilledAfterTheGrace() throws Exception {
    Lines lines = new Lines();
    // An ignored signal stays ignored across exec: the sleep ignores SIGTERM too.
    StepProcess step = StepProcess.start(command("trap '' TERM\necho ready\nsleep 1000", null), lines);
    lines.next();
    step.cancel();
    StepOutcome outcome = step.outcome().get(60, TimeUnit.SECONDS);
    assertEquals(new StepOutcome(128 + 9, false, true), outcome);
  }

  @Test
  void aBackgroundChildHoldingStdoutIsKilledAfterTheStepExits() throws Exception {
    Lines lines = new Lines();
    StepProcess step = StepProcess.start(command("sleep 1000 &\necho $!\necho done", null), lines);
    long grandchild = Long.parseLong(lines.next());
    StepOutcome outcome = step.outcome().get(60, TimeUnit.SECONDS);
    assertEquals(new StepOutcome(0, false, false), outcome);
    assertEquals(List.of(String.valueOf(grandchild), "done"), lines.out);
    awaitTrue(() -> !running(grandchild), "the sleep held stdout open, so it is killed");
  }

  @Test
  void aFailingSinkStopsTheStepAndFailsTheOutcome() throws Exception {
    IllegalStateException broken = new IllegalStateException("log store down");
    StepProcess step = StepProcess.start(command("echo one\nsleep 1000", null), (stderr, text) -> {
      throw broken;
    });
    ExecutionException e = assertThrows(ExecutionException.class, () -> step.outcome().get(60, TimeUnit.SECONDS));
    assertSame(broken, e.getCause());
  }

  @Test
  void aLongLineArrivesInPiecesOfAtMost64KiB() throws Exception {
    Lines lines = new Lines();
    run(command("head -c 200000 /dev/zero | tr '\\0' x\necho\necho next", null), lines);
    assertEquals("x".repeat(200_000), String.join("", lines.out.subList(0, lines.out.size() - 1)));
    assertEquals(List.of(65536, 65536, 65536, 200_000 - 3 * 65536), lines.out.subList(0, 4).stream().map(String::length).toList());
    assertEquals("next", lines.out.get(4));
  }

  @Test
  void piecesEndBetweenCharactersAndPreferBlanks() throws Exception {
    Lines multibyte = new Lines();
    run(command("print('é' * 100000)", "python"), multibyte);
    assertEquals("é".repeat(100_000), String.join("", multibyte.out), "no character was cut in two");
    assertTrue(multibyte.out.stream().allMatch(p -> p.getBytes(StandardCharsets.UTF_8).length <= 65536));

    Lines words = new Lines();
    run(command("print('secret-word ' * 20000)", "python"), words);
    assertTrue(words.out.size() > 1);
    for (String piece : words.out.subList(0, words.out.size() - 1)) {
      assertTrue(piece.endsWith("secret-word "), "a piece ends after a blank, not inside a word");
    }
    assertEquals("secret-word ".repeat(20000), String.join("", words.out));
  }

  @Test
  void twoHundredMegabytesStreamThroughA32MegabyteHeap() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(java.toString(), "-Xmx32m", "-cp", System.getProperty("java.class.path"),
        BigOutput.class.getName(), dir.toString())
        .redirectErrorStream(true).start();
    String report = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertTrue(child.waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, child.exitValue(), report);
    // 1,000,000 lines of 99 bytes, then one line of 100,000,000 bytes in 64 KiB pieces.
    assertEquals("exit=0 lines=" + (1_000_000 + 1526) + " bytes=" + (99_000_000L + 100_000_000L) + " longest=65536", report);
  }

  /** Runs in a JVM of its own with a heap far smaller than the output, and reports what it saw. */
  static final class BigOutput {
    public static void main(String[] args) throws Exception {
      AtomicLong lines = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      AtomicLong longest = new AtomicLong();
      Path dir = Path.of(args[0]);
      String script = "yes " + "x".repeat(99) + " | head -c 100000000\nhead -c 100000000 /dev/zero | tr '\\0' y\necho";
      StepOutcome outcome = StepProcess.start(new StepCommand(script, "sh", dir, BASE_ENV, null, dir), (stderr, text) -> {
        lines.incrementAndGet();
        bytes.addAndGet(text.length());
        longest.accumulateAndGet(text.length(), Math::max);
      }).outcome().get();
      System.out.println("exit=" + outcome.exitCode() + " lines=" + lines + " bytes=" + bytes + " longest=" + longest);
    }
  }

  /** Alive and not a zombie: PID 1 of a container does not always reap the orphans it inherits. */
  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static long processGroupOf(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
  }

  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 30 s: " + what);
      Thread.sleep(20);
    }
  }
}
