package dev.devflow.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real EventSource (the {@code eventsource} npm package, run by {@code src/test/js/sse-client.mjs}
 * under Node.js) connected to a feed; what it prints is collected here with the time each line
 * arrived.
 */
final class EventSourceClient implements AutoCloseable {

  static final Path JS_DIR = Path.of("src/test/js").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One line of the client's output, with {@link System#nanoTime()} at arrival. */
  record Line(JsonNode json, long nanos) {
    String kind() {
      return json.get("kind").asText();
    }
  }

  /** One received SSE event. */
  record Event(long id, String type, JsonNode data, long nanos) {}

  private final Process process;
  private final List<Line> lines = new ArrayList<>();
  private final Thread reader;
  private final Path stderr;

  /**
   * Installs the client's npm packages (exact versions, from package-lock.json) when they are not
   * there yet. Fails when Node.js or npm is missing: these tests need the real client.
   */
  static synchronized void install() throws Exception {
    if (Files.isDirectory(JS_DIR.resolve("node_modules/eventsource"))
        && Files.isDirectory(JS_DIR.resolve("node_modules/unleash-client"))) {
      return;
    }
    Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
        .directory(JS_DIR.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("npm ci in " + JS_DIR + " failed:\n" + out);
    }
  }

  private EventSourceClient(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    this.reader = new Thread(this::read, "sse-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts a client.
   *
   * @param lastEventId sent as {@code Last-Event-ID} on the first request only (null: none)
   * @param count exits after this many events (0: no limit)
   */
  static EventSourceClient start(String url, String token, String lastEventId, int count) throws IOException {
    ObjectNode o = JSON.createObjectNode().put("url", url).put("timeoutMs", 90_000);
    if (token != null) {
      o.put("token", token);
    }
    if (lastEventId != null) {
      o.put("lastEventId", lastEventId);
    }
    if (count > 0) {
      o.put("count", count);
    }
    Path err = Files.createTempFile("sse-client", ".err");
    Process p = new ProcessBuilder("node", JS_DIR.resolve("sse-client.mjs").toString(), o.toString())
        .directory(JS_DIR.toFile())
        .redirectError(err.toFile())
        .start();
    return new EventSourceClient(p, err);
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        JsonNode json;
        try {
          json = JSON.readTree(line);
        } catch (IOException notJson) {
          json = JSON.createObjectNode().put("kind", "noise").put("text", line);
        }
        synchronized (this) {
          lines.add(new Line(json, System.nanoTime()));
          notifyAll();
        }
      }
    } catch (IOException ignored) {
      // the process was stopped
    } finally {
      synchronized (this) {
        lines.add(new Line(JSON.createObjectNode().put("kind", "exit"), System.nanoTime()));
        notifyAll();
      }
    }
  }

  synchronized List<Line> lines() {
    return List.copyOf(lines);
  }

  synchronized List<Event> events() {
    List<Event> out = new ArrayList<>();
    for (Line l : lines) {
      if (l.kind().equals("event")) {
        JsonNode data;
        try {
          data = JSON.readTree(l.json().get("data").asText());
        } catch (IOException e) {
          throw new AssertionError("event data is not JSON: " + l.json(), e);
        }
        out.add(new Event(Long.parseLong(l.json().get("id").asText()), l.json().get("type").asText(), data, l.nanos()));
      }
    }
    return out;
  }

  synchronized long count(String kind) {
    return lines.stream().filter(l -> l.kind().equals(kind)).count();
  }

  /** The Last-Event-ID header of each request the EventSource made, in order (null: none). */
  synchronized List<String> requests() {
    return lines.stream().filter(l -> l.kind().equals("request"))
        .map(l -> l.json().get("lastEventId").isNull() ? null : l.json().get("lastEventId").asText())
        .toList();
  }

  /** Waits until the output satisfies {@code condition}; fails with everything seen so far. */
  synchronized void await(String what, int seconds, Predicate<EventSourceClient> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.test(this)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("EventSource client: " + what + " not seen within " + seconds + " s; output:\n"
            + describe());
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Waits for the n-th accepted connection ({@code open}). */
  void awaitOpen(int n) throws InterruptedException {
    await(n + " open", 30, c -> c.count("open") >= n);
  }

  /** Waits for at least n events and returns all events received. */
  List<Event> awaitEvents(int n) throws InterruptedException {
    await(n + " events", 30, c -> c.count("event") >= n);
    return events();
  }

  synchronized String describe() {
    StringBuilder b = new StringBuilder();
    lines.forEach(l -> b.append("  ").append(l.json()).append('\n'));
    try {
      b.append("stderr: ").append(Files.readString(stderr));
    } catch (IOException e) {
      b.append("stderr unreadable: ").append(e);
    }
    return b.toString();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(5000);
    try {
      Files.deleteIfExists(stderr);
    } catch (IOException ignored) {
      // a temp file
    }
  }
}
