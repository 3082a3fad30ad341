package dev.devflow.actors.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.actors.runtime.InstanceEvent.Crashed;
import dev.devflow.actors.runtime.InstanceEvent.Failed;
import dev.devflow.actors.runtime.InstanceEvent.Healthy;
import dev.devflow.actors.runtime.InstanceEvent.Stopped;
import dev.devflow.actors.runtime.RuntimeSupervisor.InstanceList;
import dev.devflow.actors.runtime.RuntimeSupervisor.InstanceView;
import dev.devflow.persistence.Database;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.Migrations;
import dev.devflow.persistence.ci.JobLogStore;
import dev.devflow.persistence.ci.LogChunk;
import dev.devflow.persistence.feed.FeedDraft;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real app processes (python3, bash), a real PostgreSQL for their logs, the supervisor in an ActorTestKit. */
class RuntimeSupervisorTest {

  static final Duration START = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Serves HTTP on $PORT; prints $TOKEN; with $CHATTY prints without end; answers with its line
   * count; after GET /freeze it never answers again.
   */
  static final String APP_PY = """
      import os, sys, threading, time, http.server
      port = int(os.environ["PORT"])
      count = [0]
      print("token is " + os.environ.get("TOKEN", ""), flush=True)
      print("listening on", port, flush=True)
      if os.environ.get("CHATTY"):
          def spam():
              while True:
                  count[0] += 1
                  print("line %d %s" % (count[0], "x" * 200), flush=True)
                  if count[0] % 20 == 0:
                      time.sleep(0.005)
          threading.Thread(target=spam, daemon=True).start()
      frozen = [False]
      class H(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              if frozen[0]:
                  time.sleep(3600)
              print("GET " + self.path, file=sys.stderr, flush=True)
              body = ("hello %s %d" % (os.environ.get("GREETING", "?"), count[0])).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(body)))
              self.end_headers()
              self.wfile.write(body)
              if self.path == "/freeze":
                  frozen[0] = True
          def log_message(self, *args):
              pass
      http.server.ThreadingHTTPServer(("0.0.0.0", port), H).serve_forever()
      """;

  @TempDir static Path home;
  static EmbeddedDatabase pg;
  static Database db;
  static JobLogStore logs;
  static BlobStore blobs;
  static String appArtifact;
  static final ActorTestKit testKit = ActorTestKit.create();
  static ActorRef<RuntimeSupervisor.Command> runtime;
  static final HttpClient http = HttpClient.newHttpClient();
  static final AtomicInteger ids = new AtomicInteger();
  /** The instance.output feed entries of every supervisor here. */
  static final Queue<FeedDraft> output = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedDatabase.start(home.resolve("pg"));
    db = Database.open(pg.settings(), 4);
    Migrations.migrate(db);
    logs = new JobLogStore(db);
    blobs = new BlobStore(home.resolve("blobs"));
    Path src = Files.createDirectories(home.resolve("app-src"));
    Files.writeString(src.resolve("app.py"), APP_PY);
    Files.writeString(src.resolve("Procfile"), "web: python3 app.py\n");
    appArtifact = blobs.put(BlobStoreTest.tarOf(blobs, src));
    // The defaults' back-off (1 s to 1 min): a restart after kill -9 must still be quick with them.
    RuntimeSettings defaults = RuntimeSettings.defaults(home.resolve("work"), "node-a.local");
    runtime = testKit.spawn(RuntimeSupervisor.create(defaults, blobs, logs, output::add), "runtime");
  }

  @AfterAll
  static void stop() throws Exception {
    testKit.shutdownTestKit();
    db.close();
    pg.close();
  }

  static RuntimeSettings settings(long restartMinMs, long restartMaxMs, int crashLoopLimit, long logCap) {
    return new RuntimeSettings(home.resolve("work"), "node-a.local", Duration.ofMillis(restartMinMs),
        Duration.ofMillis(restartMaxMs), crashLoopLimit, Duration.ofMinutes(1), logCap, Duration.ofSeconds(10), 3);
  }

  static InstanceSpec spec(String command, String healthPath, int timeout, Map<String, String> env, List<String> masked) {
    return new InstanceSpec("i" + ids.incrementAndGet(), "acme", "web-app", 3, healthPath == null ? "worker" : "web",
        command, appArtifact, env, healthPath, timeout, masked);
  }

  static TestProbe<InstanceEvent> start(ActorRef<RuntimeSupervisor.Command> supervisor, InstanceSpec spec) {
    TestProbe<InstanceEvent> events = testKit.createTestProbe();
    supervisor.tell(new RuntimeSupervisor.StartInstance(spec, events.getRef()));
    return events;
  }

  static String get(int port, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  static List<LogChunk> chunks(InstanceSpec spec) {
    return logs.read(RuntimeSupervisor.logId(spec.tenant(), spec.app(), spec.instanceId()), 1, 0, 100_000);
  }

  /** The instance.output entries of one instance, as JSON, in order. */
  static List<JsonNode> outputOf(InstanceSpec spec) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (FeedDraft d : output) {
      JsonNode data = JSON.readTree(d.data());
      assertEquals("instance.output", d.type());
      if (data.get("instance").asText().equals(spec.instanceId())) {
        out.add(data);
      }
    }
    return out;
  }

  static List<String> outputLines(InstanceSpec spec) throws Exception {
    List<String> lines = new ArrayList<>();
    for (JsonNode entry : outputOf(spec)) {
      entry.get("lines").forEach(l -> lines.add(l.asText()));
    }
    return lines;
  }

  static String logText(InstanceSpec spec) {
    StringBuilder out = new StringBuilder();
    chunks(spec).forEach(c -> out.append(c.body()));
    return out.toString();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  /** A process of the group that is not a zombie (Linux /proc; field 5 of stat is the group id). */
  static boolean groupAlive(long pgid) {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).anyMatch(p -> {
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          return Long.parseLong(f[2]) == pgid && !f[0].equals("Z");
        } catch (Exception e) {
          return false;
        }
      });
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static InstanceView view(ActorRef<RuntimeSupervisor.Command> supervisor, String instanceId) {
    TestProbe<InstanceList> list = testKit.createTestProbe();
    supervisor.tell(new RuntimeSupervisor.ListInstances(list.getRef()));
    return list.receiveMessage().instances().stream().filter(v -> v.instanceId().equals(instanceId)).findFirst()
        .orElse(null);
  }

  static void kill9(long pid) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-9", String.valueOf(pid)).start().waitFor());
  }

  @Test
  void anAppBecomesHealthyAnswersOnItsPortLogsMaskedAndStops() throws Exception {
    InstanceSpec spec = spec("python3 app.py", "/", 30, Map.of("GREETING", "world", "TOKEN", "s3cr3t-token"),
        List.of("s3cr3t-token"));
    TestProbe<InstanceEvent> events = start(runtime, spec);
    Healthy healthy = events.expectMessageClass(Healthy.class, START);
    assertEquals(spec.instanceId(), healthy.instanceId());
    assertEquals("node-a.local", healthy.node());
    assertEquals(0, healthy.restarts());
    assertTrue(get(healthy.port(), "/hi").startsWith("hello world"));
    InstanceView view = view(runtime, spec.instanceId());
    assertEquals(new InstanceView(spec.instanceId(), "acme", "web-app", 3, "web", "healthy", healthy.pid(),
        healthy.port(), 0), view);
    Path dir = home.resolve("work").resolve(spec.instanceId());
    assertTrue(Files.exists(dir.resolve("app.py")));
    // Starting a known id again does not start a second process: the new reportTo hears its state.
    TestProbe<InstanceEvent> again = start(runtime, spec);
    assertEquals(healthy, again.expectMessageClass(Healthy.class, START));
    assertEquals(healthy.pid(), view(runtime, spec.instanceId()).pid());

    await("the log is stored", Duration.ofSeconds(10), () -> logText(spec).contains("GET /hi"));
    String log = logText(spec);
    assertTrue(log.contains("listening on " + healthy.port()), log);
    assertTrue(log.contains("token is ***"), log);
    assertFalse(log.contains("s3cr3t-token"), log);
    assertTrue(Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z GET /hi$").matcher(log).find(), log);
    // The same lines, masked, reach the feed (once a second), without timestamps.
    await("the output is on the feed", Duration.ofSeconds(10), () -> {
      try {
        return outputLines(spec).contains("GET /hi");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(List.of("token is ***", "listening on " + healthy.port()), outputLines(spec).subList(0, 2));
    JsonNode first = outputOf(spec).get(0);
    assertEquals("web-app", first.get("app").asText());
    assertEquals(3, first.get("release").asLong());
    assertEquals("web", first.get("process").asText());
    assertEquals("acme", first.get("tenant").asText());
    assertEquals(0, first.get("skipped").asLong());

    runtime.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(5)));
    again.expectMessage(START, new Stopped(spec.instanceId()));
    events.expectNoMessage(Duration.ofMillis(200));
    assertFalse(groupAlive(healthy.pid()), "the process group is gone once Stopped is reported");
    assertFalse(Files.exists(dir));
    assertTrue(logText(spec).contains("[devflow] stopped"), logText(spec));
    await("the instance is no longer listed", Duration.ofSeconds(10), () -> view(runtime, spec.instanceId()) == null);
  }

  @Test
  void anInvalidInstanceIdFails() {
    InstanceSpec bad = new InstanceSpec("../etc", "acme", "web-app", 3, "web", "true", appArtifact, Map.of(), "/", 30,
        List.of());
    Failed failed = start(runtime, bad).expectMessageClass(Failed.class, START);
    assertTrue(failed.reason().startsWith("invalid instance id"), failed.reason());
  }

  @Test
  void killMinus9RestartsTheAppWithBackOff() throws Exception {
    InstanceSpec spec = spec("python3 app.py", "/", 30, Map.of("GREETING", "again"), List.of());
    TestProbe<InstanceEvent> events = start(runtime, spec);
    Healthy first = events.expectMessageClass(Healthy.class, START);

    long killed = System.nanoTime();
    kill9(first.pid());
    Crashed crashed = events.expectMessageClass(Crashed.class, Duration.ofSeconds(10));
    assertEquals(137, crashed.exitCode());
    assertEquals(0, crashed.restarts());
    assertEquals("exited with code 137 (signal 9)", crashed.reason());
    Healthy again = events.expectMessageClass(Healthy.class, Duration.ofSeconds(10));
    long ms = (System.nanoTime() - killed) / 1_000_000;
    System.out.println("kill -9 to healthy again: " + ms + " ms");
    assertTrue(ms >= 1000, "the restart waited restartMin (1 s), took " + ms + " ms");
    assertEquals(1, again.restarts());
    assertNotEquals(first.pid(), again.pid());
    assertTrue(get(again.port(), "/").startsWith("hello again"));
    assertEquals(1, view(runtime, spec.instanceId()).restarts());
    assertFalse(groupAlive(first.pid()));

    runtime.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(5)));
    events.expectMessage(START, new Stopped(spec.instanceId()));
    assertFalse(groupAlive(again.pid()));
  }

  @Test
  void anAppOnAFixedWrongPortFailsNamingBothPorts() throws Exception {
    int wrong;
    try (ServerSocket s = new ServerSocket(0)) {
      wrong = s.getLocalPort();
    }
    InstanceSpec spec = spec("python3 -m http.server " + wrong + " --bind 127.0.0.1", "/", 3, Map.of(), List.of());
    TestProbe<InstanceEvent> events = start(runtime, spec);
    Failed failed = events.expectMessageClass(Failed.class, START);
    Matcher m = Pattern.compile("listens on port " + wrong + ", but must listen on \\$PORT \\((\\d+)\\)")
        .matcher(failed.reason());
    assertTrue(m.find(), failed.reason());
    assertNotEquals(wrong, Integer.parseInt(m.group(1)));
    assertTrue(failed.reason().startsWith("no answer below 500 from GET / on $PORT (" + m.group(1) + ") within 3 s"),
        failed.reason());
    await("the failed app is killed", Duration.ofSeconds(10), () -> {
      try (ServerSocket s = new ServerSocket(wrong)) {
        return true;
      } catch (Exception e) {
        return false;
      }
    });
    assertEquals("failed", view(runtime, spec.instanceId()).status());
    runtime.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(1)));
    events.expectMessage(START, new Stopped(spec.instanceId()));
  }

  @Test
  void aProcessExitingAtOnceFailsWithItsExitCodeAndLastOutput() {
    InstanceSpec spec = spec("echo starting up; echo 'boom: DATABASE_URL is not set' >&2; exit 3", "/", 30, Map.of(),
        List.of());
    TestProbe<InstanceEvent> events = start(runtime, spec);
    Failed failed = events.expectMessageClass(Failed.class, START);
    assertTrue(failed.reason().startsWith("exited with code 3 before answering health checks; last output: "),
        failed.reason());
    assertTrue(failed.reason().contains("starting up"), failed.reason());
    assertTrue(failed.reason().contains("boom: DATABASE_URL is not set"), failed.reason());
    events.expectNoMessage(Duration.ofSeconds(2)); // no restart of an app that never was healthy
  }

  @Test
  void endlessOutputIsCappedWhileTheAppKeepsRunning() throws Exception {
    long cap = 64 * 1024;
    ActorRef<RuntimeSupervisor.Command> capped =
        testKit.spawn(RuntimeSupervisor.create(settings(1000, 60_000, 5, cap), blobs, logs, output::add), "runtime-capped");
    InstanceSpec spec = spec("python3 app.py", "/", 30, Map.of("CHATTY", "1", "GREETING", "chatty"), List.of());
    TestProbe<InstanceEvent> events = start(capped, spec);
    Healthy healthy = events.expectMessageClass(Healthy.class, START);
    await("the cap line is stored", Duration.ofSeconds(30),
        () -> logText(spec).contains("[devflow] log cap of 65536 bytes reached; further output dropped"));
    // 3000 lines of 200+ bytes are ten times the cap plus any pipe buffer: they were read and dropped.
    await("the app prints on past the cap", Duration.ofSeconds(60), () -> {
      try {
        return Integer.parseInt(get(healthy.port(), "/").split(" ")[2]) > 3000;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertEquals("healthy", view(capped, spec.instanceId()).status());
    long stored = chunks(spec).stream().mapToLong(c -> c.body().getBytes(StandardCharsets.UTF_8).length).sum();
    assertTrue(stored <= cap + 1024, "stored " + stored + " bytes");
    assertTrue(stored > cap - 1024, "stored " + stored + " bytes");
    // The feed got at most 100 lines a second of what the log accepted, the rest counted.
    long accepted = logText(spec).lines().filter(l -> !l.substring(l.indexOf(' ') + 1).startsWith("[devflow]")).count();
    await("every accepted line sent or counted on the feed", Duration.ofSeconds(10), () -> {
      try {
        long onFeed = 0;
        for (JsonNode e : outputOf(spec)) {
          assertTrue(e.get("lines").size() <= 100, e.get("lines").size() + " lines in one entry");
          onFeed += e.get("lines").size() + e.get("skipped").asLong();
        }
        assertTrue(onFeed <= accepted, onFeed + " lines on the feed, " + accepted + " in the log: none past the cap");
        return onFeed == accepted;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(outputOf(spec).stream().anyMatch(e -> e.get("skipped").asLong() > 0), "a chatty app's lines are skipped");
    capped.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(5)));
    events.expectMessage(START, new Stopped(spec.instanceId()));
  }

  @Test
  void aHealthyAppThatStopsAnsweringIsKilledAndRestarted() throws Exception {
    RuntimeSettings quick = new RuntimeSettings(home.resolve("work"), "node-a.local", Duration.ofMillis(100),
        Duration.ofSeconds(1), 5, Duration.ofMinutes(1), 1 << 20, Duration.ofMillis(300), 3);
    ActorRef<RuntimeSupervisor.Command> watched =
        testKit.spawn(RuntimeSupervisor.create(quick, blobs, logs, output::add), "runtime-watched");
    InstanceSpec spec = spec("python3 app.py", "/health", 30, Map.of(), List.of());
    TestProbe<InstanceEvent> events = start(watched, spec);
    Healthy healthy = events.expectMessageClass(Healthy.class, START);
    // Still answering: checked every 300 ms for a while, nothing happens.
    events.expectNoMessage(Duration.ofSeconds(2));
    get(healthy.port(), "/freeze");
    Crashed crashed = events.expectMessageClass(Crashed.class, Duration.ofSeconds(10));
    assertTrue(crashed.reason().startsWith("stopped answering health checks on /health (3 in a row failed, the last: "
        + "no answer within 300 ms)"), crashed.reason());
    Healthy again = events.expectMessageClass(Healthy.class, START);
    assertEquals(1, again.restarts());
    assertNotEquals(healthy.pid(), again.pid());
    assertFalse(groupAlive(healthy.pid()), "the hung process is gone");
    assertTrue(get(again.port(), "/").startsWith("hello"));
    watched.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(5)));
    events.expectMessage(START, new Stopped(spec.instanceId()));
  }

  @Test
  void aWorkerIsHealthyOnceItRunsAndStopsWithItsGroup() throws Exception {
    InstanceSpec spec = spec("sleep 1000 & while true; do echo working; sleep 0.2; done", null, 30, Map.of(), List.of());
    TestProbe<InstanceEvent> events = start(runtime, spec);
    Healthy healthy = events.expectMessageClass(Healthy.class, START);
    assertTrue(groupAlive(healthy.pid()));
    assertEquals("healthy", view(runtime, spec.instanceId()).status());
    assertEquals(healthy.pid(), view(runtime, spec.instanceId()).pid());
    runtime.tell(new RuntimeSupervisor.StopInstance(spec.instanceId(), Duration.ofSeconds(5)));
    events.expectMessage(START, new Stopped(spec.instanceId()));
    assertFalse(groupAlive(healthy.pid()), "the background sleep went with the group");
    assertTrue(logText(spec).contains("working"));
  }

  @Test
  void aCrashLoopIsGivenUp() {
    ActorRef<RuntimeSupervisor.Command> loopy =
        testKit.spawn(RuntimeSupervisor.create(settings(100, 200, 2, 1 << 20), blobs, logs, output::add), "runtime-loopy");
    InstanceSpec spec = spec("echo up; sleep 2.5; echo dying; exit 1", null, 30, Map.of(), List.of());
    TestProbe<InstanceEvent> events = start(loopy, spec);
    for (int i = 0; i < 3; i++) {
      assertEquals(i, events.expectMessageClass(Healthy.class, START).restarts());
      Crashed crashed = i < 2 ? events.expectMessageClass(Crashed.class, START) : null;
      if (crashed != null) {
        assertEquals(1, crashed.exitCode());
      }
    }
    Failed failed = events.expectMessageClass(Failed.class, START);
    assertTrue(failed.reason().startsWith("crash loop: 3 crashes within 60 s, the last one exited with code 1"),
        failed.reason());
    assertTrue(failed.reason().contains("dying"), failed.reason());
    events.expectNoMessage(Duration.ofSeconds(1));
  }

  @Test
  void stoppingTheSupervisorLeavesNoProcessBehind() throws Exception {
    ActorRef<RuntimeSupervisor.Command> doomed =
        testKit.spawn(RuntimeSupervisor.create(settings(1000, 60_000, 5, 1 << 20), blobs, logs, output::add), "runtime-doomed");
    InstanceSpec spec = spec("sleep 1000 & python3 app.py", "/", 30, Map.of(), List.of());
    Healthy healthy = start(doomed, spec).expectMessageClass(Healthy.class, START);
    assertTrue(groupAlive(healthy.pid()));
    testKit.stop(doomed);
    await("the group is gone", Duration.ofSeconds(10), () -> !groupAlive(healthy.pid()));
  }
}
