package dev.devflow.cluster;

import static dev.devflow.cluster.FeedFixtures.createRepo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant event feed ({@code GET /api/v1/tenants/{t}/events}) on one node, through a real
 * EventSource (the {@code eventsource} npm package under Node.js) and through {@code curl -N}:
 * live delivery, resume with {@code Last-Event-ID} and {@code ?after=}, the {@code ?types=}
 * filter, EventSource's own reconnect after a cut connection, the raw SSE format with heartbeats,
 * and the refusals (400, 401, 404). Each test uses its own tenant and creates its tokens before any
 * client connects; a tenant's feed may already hold entries of its own (e.g. tenant.created), so
 * ids are checked relative to the first entry the test itself caused, whose content is checked.
 */
class FeedSseTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ZERO_ID = "0".repeat(40);

  @TempDir static Path dir;
  static RunningNode node;
  static Api api;
  static String admin;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    EventSourceClient.install();
    Map<String, Object> o = TestNodes.options(dir.resolve("home"));
    o.put("devflow.feed.heartbeat", "300ms");
    node = TestNodes.start(o);
    api = new Api(node.baseUrl());
    port = node.httpPort().join();
    admin = node.createdAdminToken().orElseThrow();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static String events(String tenant) {
    return node.baseUrl() + "/api/v1/tenants/" + tenant + "/events";
  }

  static List<Long> ids(List<EventSourceClient.Event> events) {
    return events.stream().map(EventSourceClient.Event::id).toList();
  }

  static List<String> repos(List<EventSourceClient.Event> events) {
    return events.stream().map(e -> e.data().get("repo").asText()).toList();
  }

  static int firstId(List<String> body) {
    for (int i = 0; i < body.size(); i++) {
      if (body.get(i).startsWith("id: ")) {
        return i;
      }
    }
    return -1;
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  void liveEventsArriveWithTypeDataTenantAndConsecutiveIds() throws Exception {
    String write = api.tenantWithToken(admin, "live", "write");
    String read = api.token(admin, "live", "read");
    String tenantAdmin = api.token(admin, "live", "admin");
    try (EventSourceClient client = EventSourceClient.start(events("live"), read, null, 0)) {
      client.awaitOpen(1);
      Instant before = Instant.now();
      createRepo(api, "live", write, "web");
      createRepo(api, "live", write, "docs");
      String sha = FeedFixtures.commit(dir.resolve("live-web"), FeedFixtures.gitUrl(node.baseUrl(), write, "live", "web"),
          "README.md", "hello\n", "first commit");
      FeedFixtures.push(dir.resolve("live-web"));
      FeedFixtures.deleteRepo(api, "live", tenantAdmin, "docs");
      Instant after = Instant.now();

      List<EventSourceClient.Event> got = client.awaitEvents(4);
      long base = got.get(0).id() - 1;
      assertEquals(range(base + 1, base + 4), ids(got), client.describe());
      assertEquals(List.of("repo.created", "repo.created", "repo.pushed", "repo.deleted"),
          got.stream().map(EventSourceClient.Event::type).toList());
      for (EventSourceClient.Event e : got) {
        assertEquals("live", e.data().get("tenant").asText(), e.toString());
        Instant at = Instant.parse(e.data().get("at").asText());
        assertFalse(at.isBefore(before.minusMillis(1)) || at.isAfter(after), "at " + at + " outside [" + before + ", " + after + "]");
      }
      assertEquals("web", got.get(0).data().get("repo").asText());
      assertEquals("docs", got.get(1).data().get("repo").asText());
      JsonNode pushed = got.get(2).data();
      assertEquals("web", pushed.get("repo").asText());
      assertEquals("refs/heads/main", pushed.get("ref").asText());
      assertEquals(ZERO_ID, pushed.get("before").asText());
      assertEquals(sha, pushed.get("after").asText());
      assertEquals(1, pushed.get("commitCount").asInt());
      assertEquals(1, pushed.get("commits").size());
      assertEquals(sha, pushed.get("commits").get(0).get("id").asText());
      assertTrue(pushed.get("commits").get(0).get("message").asText().startsWith("first commit"), pushed.toString());
      assertEquals("docs", got.get(3).data().get("repo").asText());

      // A second push: before is the first commit.
      String second = FeedFixtures.commit(dir.resolve("live-web"), null, "b.txt", "b\n", "second commit");
      FeedFixtures.push(dir.resolve("live-web"));
      EventSourceClient.Event e5 = client.awaitEvents(5).get(4);
      assertEquals(base + 5, e5.id());
      assertEquals("repo.pushed", e5.type());
      assertEquals(sha, e5.data().get("before").asText());
      assertEquals(second, e5.data().get("after").asText());
      assertEquals(1, client.count("open"), "one connection, no reconnect");
    }
  }

  @Test
  void resumeWithLastEventIdGivesExactlyTheMissedEventsThenLiveOnes() throws Exception {
    String write = api.tenantWithToken(admin, "resume", "write");
    String read = api.token(admin, "resume", "read");
    long base;
    try (EventSourceClient first = EventSourceClient.start(events("resume"), read, null, 0)) {
      first.awaitOpen(1);
      for (int i = 1; i <= 3; i++) {
        createRepo(api, "resume", write, "r" + i);
      }
      List<EventSourceClient.Event> got = first.awaitEvents(3);
      base = got.get(0).id() - 1;
      assertEquals(range(base + 1, base + 3), ids(got));
      assertEquals(List.of("r1", "r2", "r3"), repos(got));
    }
    // Disconnected: these are missed.
    for (int i = 4; i <= 7; i++) {
      createRepo(api, "resume", write, "r" + i);
    }
    try (EventSourceClient again = EventSourceClient.start(events("resume"), read, String.valueOf(base + 3), 0)) {
      List<EventSourceClient.Event> replayed = again.awaitEvents(4);
      assertEquals(range(base + 4, base + 7), ids(replayed), again.describe());
      for (int i = 8; i <= 10; i++) {
        createRepo(api, "resume", write, "r" + i);
      }
      List<EventSourceClient.Event> all = again.awaitEvents(7);
      assertEquals(range(base + 4, base + 10), ids(all), again.describe());
      assertEquals(List.of("r4", "r5", "r6", "r7", "r8", "r9", "r10"), repos(all));
      assertEquals(List.of(String.valueOf(base + 3)), again.requests());
    }
    // ?after= does the same.
    try (EventSourceClient after = EventSourceClient.start(events("resume") + "?after=" + (base + 8), read, null, 0)) {
      assertEquals(range(base + 9, base + 10), ids(after.awaitEvents(2)), after.describe());
    }
    // Resuming at the newest id: nothing replayed, the next entry live.
    try (EventSourceClient head = EventSourceClient.start(events("resume"), read, String.valueOf(base + 10), 0)) {
      head.awaitOpen(1);
      createRepo(api, "resume", write, "r11");
      List<EventSourceClient.Event> got = head.awaitEvents(1);
      assertEquals(List.of(base + 11), ids(got), head.describe());
      assertEquals(List.of("r11"), repos(got));
    }
  }

  @Test
  void resumeWhileEventsAreWrittenHasNoGapAndNoDuplicate() throws Exception {
    String write = api.tenantWithToken(admin, "race", "write");
    String read = api.token(admin, "race", "read");
    long tenth;
    try (EventSourceClient first = EventSourceClient.start(events("race"), read, null, 10)) {
      first.awaitOpen(1);
      for (int i = 1; i <= 10; i++) {
        createRepo(api, "race", write, "r" + i);
      }
      EventSourceClient.Event e = first.awaitEvents(10).get(9);
      assertEquals("r10", e.data().get("repo").asText());
      tenth = e.id();
    }
    ExecutorService writers = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> writes = new ArrayList<>();
      AtomicInteger written = new AtomicInteger();
      for (int w = 0; w < 2; w++) {
        int worker = w;
        writes.add(writers.submit(() -> {
          for (int i = 0; i < 30; i++) {
            createRepo(api, "race", write, "w" + worker + "-" + i);
            written.incrementAndGet();
          }
          return null;
        }));
      }
      // Connect while the writers run: the replay from the table and the live entries meet.
      FeedFixtures.await("the writers are under way", 30, () -> written.get() >= 10);
      try (EventSourceClient client = EventSourceClient.start(events("race"), read, String.valueOf(tenth), 60)) {
        long t0 = System.nanoTime();
        for (Future<?> f : writes) {
          f.get(60, TimeUnit.SECONDS);
        }
        long t1 = System.nanoTime();
        List<EventSourceClient.Event> got = client.awaitEvents(60);
        System.out.printf("race: writers done %d ms after connect, 60th event %d ms after the writers%n",
            TimeUnit.NANOSECONDS.toMillis(t1 - t0), TimeUnit.NANOSECONDS.toMillis(got.get(59).nanos() - t1));
        client.await("exit after 60 events", 30, c -> c.count("exit") == 1);
        assertEquals(range(tenth + 1, tenth + 60), ids(client.events()), client.describe());
        assertEquals(60, client.events().stream().map(e -> e.data().get("repo").asText()).distinct().count());
        assertTrue(got.stream().allMatch(e -> e.type().equals("repo.created")));
      }
    } finally {
      writers.shutdownNow();
    }
  }

  @Test
  void typesFilterKeepsOnlyTheNamedTypesAndPrefixes() throws Exception {
    String write = api.tenantWithToken(admin, "filter", "write");
    String read = api.token(admin, "filter", "read");
    String tenantAdmin = api.token(admin, "filter", "admin");
    long base;
    try (EventSourceClient pushedOnly = EventSourceClient.start(events("filter") + "?types=repo.pushed", read, null, 0);
        EventSourceClient repoAll = EventSourceClient.start(events("filter") + "?types=repo.*", read, null, 0);
        EventSourceClient createdDeleted =
            EventSourceClient.start(events("filter") + "?types=repo.created,repo.deleted", read, null, 0)) {
      pushedOnly.awaitOpen(1);
      repoAll.awaitOpen(1);
      createdDeleted.awaitOpen(1);
      Path work = dir.resolve("filter-f");
      String url = FeedFixtures.gitUrl(node.baseUrl(), write, "filter", "f");
      createRepo(api, "filter", write, "f");                          // 1 created
      FeedFixtures.commit(work, url, "a.txt", "a\n", "a");
      FeedFixtures.push(work);                                         // 2 pushed
      createRepo(api, "filter", write, "g");                          // 3 created
      FeedFixtures.deleteRepo(api, "filter", tenantAdmin, "g");       // 4 deleted
      FeedFixtures.commit(work, url, "b.txt", "b\n", "b");
      FeedFixtures.push(work);                                         // 5 pushed

      List<EventSourceClient.Event> all = repoAll.awaitEvents(5);
      base = all.get(0).id() - 1;
      assertEquals(range(base + 1, base + 5), ids(all), repoAll.describe());
      assertEquals(List.of("repo.created", "repo.pushed", "repo.created", "repo.deleted", "repo.pushed"),
          all.stream().map(EventSourceClient.Event::type).toList());
      assertEquals(List.of(base + 2, base + 5), ids(pushedOnly.awaitEvents(2)), pushedOnly.describe());
      assertEquals(List.of(base + 1, base + 3, base + 4), ids(createdDeleted.awaitEvents(3)), createdDeleted.describe());
    }
    // The filter applies to the replay as well.
    try (EventSourceClient replay = EventSourceClient.start(events("filter") + "?types=repo.pushed", read, String.valueOf(base), 0)) {
      assertEquals(List.of(base + 2, base + 5), ids(replay.awaitEvents(2)), replay.describe());
    }
  }

  @Test
  void eventSourceReconnectsByItselfWithLastEventIdAfterACutConnection() throws Exception {
    String write = api.tenantWithToken(admin, "auto", "write");
    String read = api.token(admin, "auto", "read");
    try (CuttableProxy proxy = new CuttableProxy(port);
        EventSourceClient client = EventSourceClient.start(
            "http://127.0.0.1:" + proxy.port() + "/api/v1/tenants/auto/events", read, null, 0)) {
      client.awaitOpen(1);
      createRepo(api, "auto", write, "a1");
      createRepo(api, "auto", write, "a2");
      List<EventSourceClient.Event> before = client.awaitEvents(2);
      long base = before.get(0).id() - 1;
      assertEquals(range(base + 1, base + 2), ids(before));

      long cut = System.nanoTime();
      proxy.cutAll();
      client.await("an error event after the cut", 30, c -> c.count("error") >= 1);
      // Written while the client waits to reconnect (the retry: hint is 3 s).
      for (int i = 3; i <= 5; i++) {
        createRepo(api, "auto", write, "a" + i);
      }
      client.awaitOpen(2);
      long reopened = client.lines().stream().filter(l -> l.kind().equals("open")).skip(1).findFirst().orElseThrow().nanos();
      List<EventSourceClient.Event> got = client.awaitEvents(5);
      assertEquals(range(base + 1, base + 5), ids(got), client.describe());
      assertEquals(List.of("a1", "a2", "a3", "a4", "a5"), repos(got));
      assertEquals(java.util.Arrays.asList(null, String.valueOf(base + 2)), client.requests(),
          "the reconnect sent the last id seen as Last-Event-ID");
      assertEquals(2, proxy.accepted());
      System.out.printf("EventSource reconnected %d ms after the cut (retry hint 3000 ms)%n",
          TimeUnit.NANOSECONDS.toMillis(reopened - cut));
    }
  }

  // ---- curl -------------------------------------------------------------------------------

  /** {@code curl -sN -i} streaming into a list of lines (CR stripped). */
  static final class Curl implements AutoCloseable {
    final Process process;
    final List<String> lines = new ArrayList<>();

    Curl(String... args) throws Exception {
      List<String> cmd = new ArrayList<>(List.of("curl", "-sN", "-i"));
      cmd.addAll(List.of(args));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String l;
          while ((l = r.readLine()) != null) {
            synchronized (lines) {
              lines.add(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
            }
          }
        } catch (Exception ignored) {
          // stopped
        }
      }, "curl-reader");
      t.setDaemon(true);
      t.start();
    }

    List<String> lines() {
      synchronized (lines) {
        return List.copyOf(lines);
      }
    }

    /** Lines after the blank line that ends the response head. */
    List<String> body() {
      List<String> all = lines();
      int blank = all.indexOf("");
      return blank < 0 ? List.of() : all.subList(blank + 1, all.size());
    }

    List<String> head() {
      List<String> all = lines();
      int blank = all.indexOf("");
      return blank < 0 ? all : all.subList(0, blank);
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** One request with curl that completes (an error); returns status, headers and body. */
  record Answer(int status, List<String> head, String body) {
    JsonNode json() throws Exception {
      return JSON.readTree(body);
    }

    String header(String name) {
      return head.stream().filter(h -> h.toLowerCase().startsWith(name.toLowerCase() + ":"))
          .map(h -> h.substring(h.indexOf(':') + 1).trim()).findFirst().orElse("");
    }
  }

  static Answer curlOnce(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-i", "--max-time", "20"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "curl " + cmd + ": " + out);
    int split = out.indexOf("\r\n\r\n");
    List<String> head = List.of(out.substring(0, split).split("\r\n"));
    return new Answer(Integer.parseInt(head.get(0).split(" ")[1]), head, out.substring(split + 4));
  }

  @Test
  void curlSeesRetryFirstThenIdEventDataBlocksAndHeartbeats() throws Exception {
    String write = api.tenantWithToken(admin, "raw", "write");
    String read = api.token(admin, "raw", "read");
    try (Curl curl = new Curl("-H", "Authorization: Bearer " + read, events("raw"))) {
      FeedFixtures.await("retry line", 20, () -> curl.body().contains("retry: 3000"));
      List<String> head = curl.head();
      assertTrue(head.get(0).startsWith("HTTP/1.1 200"), head.toString());
      assertTrue(head.stream().anyMatch(h -> h.equalsIgnoreCase("content-type: text/event-stream")), head.toString());
      assertTrue(head.stream().anyMatch(h -> h.equalsIgnoreCase("cache-control: no-cache")), head.toString());
      assertEquals(List.of("retry: 3000", ""), curl.body().subList(0, 2), "the stream starts with the retry hint");

      createRepo(api, "raw", write, "x");
      FeedFixtures.await("the entry", 20, () -> curl.body().stream().anyMatch(l -> l.startsWith("id: ")));
      FeedFixtures.await("the end of the entry", 20, () -> {
        List<String> b = curl.body();
        return b.size() > firstId(b) + 3;
      });
      List<String> body = curl.body();
      int i = firstId(body);
      assertTrue(body.get(i).matches("id: [0-9]+"), body.get(i));
      assertEquals("event: repo.created", body.get(i + 1), body.toString());
      assertTrue(body.get(i + 2).startsWith("data: {"), body.toString());
      assertEquals("", body.get(i + 3), "one data line, then the blank line: " + body);
      JsonNode data = JSON.readTree(body.get(i + 2).substring("data: ".length()));
      assertEquals("raw", data.get("tenant").asText());
      assertEquals("x", data.get("repo").asText());
      assertNotNull(Instant.parse(data.get("at").asText()));

      // The node's heartbeat is 300 ms: comment lines ":" each followed by a blank line.
      FeedFixtures.await("three heartbeats", 20, () -> curl.body().stream().filter(":"::equals).count() >= 3);
      List<String> b = curl.body();
      for (int k = 0; k < b.size(); k++) {
        if (b.get(k).equals(":")) {
          assertTrue(k + 1 >= b.size() || b.get(k + 1).isEmpty(), "heartbeat is ':' then a blank line: " + b);
        }
      }
      // Every line of the stream is a known SSE field, a comment or a separator.
      for (String l : b) {
        assertTrue(l.isEmpty() || l.equals(":") || l.startsWith("retry: ") || l.startsWith("id: ")
            || l.startsWith("event: ") || l.startsWith("data: "), "unexpected line '" + l + "'");
      }
    }
  }

  @Test
  void refusalsWithCurl() throws Exception {
    String write = api.tenantWithToken(admin, "bad", "write");
    String read = api.token(admin, "bad", "read");
    String other = api.tenantWithToken(admin, "elsewhere", "admin");
    String auth = "Authorization: Bearer " + read;
    String url = events("bad");

    Answer unknown = curlOnce("-H", auth, url + "?types=repo.created,nope");
    assertProblem(unknown, 400, "types");
    assertTrue(unknown.json().get("detail").asText().contains("nope"), unknown.body());
    for (String type : List.of("repo.created", "repo.pushed", "repo.deleted", "agent.status")) {
      assertTrue(unknown.json().get("detail").asText().contains(type), "lists the valid types: " + unknown.body());
    }
    assertProblem(curlOnce("-H", auth, url + "?types=nope.*"), 400, "types");

    assertProblem(curlOnce("-H", auth, "-H", "Last-Event-ID: abc", url), 400, "Last-Event-ID");
    assertProblem(curlOnce("-H", auth, url + "?after=x"), 400, "after");
    assertProblem(curlOnce("-H", auth, url + "?after=-1"), 400, "after");

    long newest;
    try (RawSse live = new RawSse(port, "/api/v1/tenants/bad/events", read, Map.of(), 0)) {
      assertEquals(200, live.readHead());
      live.readBlocks(1);
      createRepo(api, "bad", write, "one");
      newest = Long.parseLong(live.readEvents(1).get(0).id());
    }
    // At the newest id: accepted. One past it: refused.
    try (RawSse atHead = new RawSse(port, "/api/v1/tenants/bad/events?after=" + newest, read, Map.of(), 0)) {
      assertEquals(200, atHead.readHead());
    }
    Answer ahead = curlOnce("-H", auth, url + "?after=" + (newest + 1));
    assertProblem(ahead, 400, "after");
    assertTrue(ahead.json().get("detail").asText().contains(String.valueOf(newest)), "names the newest id: " + ahead.body());
    Answer aheadHeader = curlOnce("-H", auth, "-H", "Last-Event-ID: " + (newest + 5), url);
    assertProblem(aheadHeader, 400, "Last-Event-ID");

    assertEquals(401, curlOnce(url).status());
    assertEquals(401, curlOnce("-H", "Authorization: Bearer nonsense", url).status());
    Answer foreign = curlOnce("-H", "Authorization: Bearer " + other, url);
    assertEquals(404, foreign.status(), foreign.body());
    assertTrue(foreign.header("content-type").startsWith("application/problem+json"), foreign.head().toString());
  }

  static void assertProblem(Answer a, int status, String field) throws Exception {
    assertEquals(status, a.status(), a.body());
    assertTrue(a.header("content-type").startsWith("application/problem+json"), a.head().toString());
    assertEquals(field, a.json().path("field").asText(), a.body());
  }
}
