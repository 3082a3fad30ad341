package dev.devflow.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A client that keeps writing to entities of every type — tenants, repositories, feature flags,
 * and pipelines (a manual run goes through the repository's pipeline counter, the pipeline and the
 * job queue) — through whichever api nodes it is given, the way a user behind a load balancer
 * would: each write is tried up to 3 times, on a different node each time. It remembers every
 * write a node acknowledged, so that afterwards nothing acknowledged may be missing.
 */
public final class Workload {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(4);
  /**
   * A failover probe gives up on one attempt after this and sends another. A request that reached
   * the dead node's shard before the node was removed is lost and would otherwise hold the probe
   * until REQUEST_TIMEOUT, measuring the client's timeout instead of the entity's return.
   */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
  private static final int ATTEMPTS = 3;
  /** Pause before the 2nd and 3rd attempt, as a retrying client would. */
  private static final long[] BACKOFF_MS = {0, 250, 1000};
  /** Reads after the run list whole histories: a cold node may take a while to load them. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  /** One entity the workload writes a rising counter to. */
  private abstract static class Target {
    final String name;
    long next = 1;
    long acked;
    volatile String lastFailure = "none";

    Target(String name) {
      this.name = name;
    }

    abstract HttpRequest.Builder write(String base, long n);

    /** The counter the entity holds now (read back after the run). */
    abstract long read(Workload w) throws Exception;
  }

  private final ClusterHarness cluster;
  private final String token;
  private final List<Target> targets = new ArrayList<>();
  private final List<Long> ackedRuns = new CopyOnWriteArrayList<>();
  private final List<NodeProcess> nodes = new CopyOnWriteArrayList<>();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicBoolean writing = new AtomicBoolean();
  private Thread writer;
  private int turn;
  private final AtomicLong route = new AtomicLong();
  /** Milliseconds after {@code sinceNanos} at which each entity answered in the last awaitAllWritable. */
  private final Map<String, Long> answeredAfter = new ConcurrentHashMap<>();

  private Workload(ClusterHarness cluster, String token) {
    this.cluster = cluster;
    this.token = token;
  }

  /**
   * Creates the entities through {@code via}: {@code tenants} tenants, and in the first of them
   * as many flags and repositories, repository {@code ci} with a manual workflow, an app and an
   * agent: every entity type there is.
   */
  public static Workload create(ClusterHarness cluster, NodeProcess via, int tenants) throws Exception {
    String admin = cluster.adminToken();
    String base = via.baseUrl();
    for (int i = 0; i < tenants; i++) {
      ok(send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants")).header("Authorization", "Bearer " + admin)
          .POST(body("{\"name\":\"load" + i + "\",\"plan\":\"enterprise\"}"))));
    }
    String token = JSON.readTree(ok(send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants/load0/tokens"))
        .header("Authorization", "Bearer " + admin).POST(body("{\"name\":\"load\",\"role\":\"admin\"}"))))).get("token")
        .asText();
    Workload w = new Workload(cluster, token);
    for (int i = 0; i < tenants; i++) {
      String t = "load" + i;
      w.targets.add(new Target("tenant " + t) {
        HttpRequest.Builder write(String b, long n) {
          return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/" + t)).header("Authorization", "Bearer " + admin)
              .method("PATCH", body("{\"displayName\":\"v" + n + "\"}"));
        }

        long read(Workload wl) throws Exception {
          return counter(wl.get("/api/v1/tenants/" + t, admin).get("displayName"));
        }
      });
      String flag = "flag" + i;
      w.targets.add(new Target("flag " + flag) {
        HttpRequest.Builder write(String b, long n) {
          return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/load0/flags/" + flag))
              .header("Authorization", "Bearer " + token)
              .PUT(body("{\"enabled\":true,\"description\":\"v" + n + "\"}"));
        }

        long read(Workload wl) throws Exception {
          return counter(wl.get("/api/v1/tenants/load0/flags/" + flag, token).get("description"));
        }
      });
      String repo = "repo" + i;
      ok(send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants/load0/repos"))
          .header("Authorization", "Bearer " + token).POST(body("{\"name\":\"" + repo + "\"}"))));
      w.targets.add(new Target("repo " + repo) {
        HttpRequest.Builder write(String b, long n) {
          return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/load0/repos/" + repo))
              .header("Authorization", "Bearer " + token).method("PATCH", body("{\"description\":\"v" + n + "\"}"));
        }

        long read(Workload wl) throws Exception {
          return counter(wl.get("/api/v1/tenants/load0/repos/" + repo, token).get("description"));
        }
      });
    }
    w.pipelineRepo(via);
    w.appAndAgent(via);
    return w;
  }

  /**
   * App {@code site} and agent {@code reviewer} on repository repo0 (never pushed, so nothing is
   * built or reviewed): each write changes the app's env and the agent's instructions.
   */
  private void appAndAgent(NodeProcess via) throws Exception {
    ok(send(HttpRequest.newBuilder(URI.create(via.baseUrl() + "/api/v1/tenants/load0/apps"))
        .header("Authorization", "Bearer " + token).POST(body("{\"name\":\"site\",\"repo\":\"repo0\"}"))));
    targets.add(new Target("app site") {
      HttpRequest.Builder write(String b, long n) {
        return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/load0/apps/site"))
            .header("Authorization", "Bearer " + token).method("PATCH", body("{\"env\":{\"N\":\"v" + n + "\"}}"));
      }

      long read(Workload wl) throws Exception {
        return counter(wl.get("/api/v1/tenants/load0/apps/site", token).path("env").get("N"));
      }
    });
    targets.add(new Target("agent reviewer") {
      HttpRequest.Builder write(String b, long n) {
        return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/load0/agents/reviewer"))
            .header("Authorization", "Bearer " + token)
            .PUT(body("{\"kind\":\"reviewer\",\"repo\":\"repo0\",\"instructions\":\"v" + n + "\"}"));
      }

      long read(Workload wl) throws Exception {
        return counter(wl.get("/api/v1/tenants/load0/agents/reviewer", token).get("instructions"));
      }
    });
  }

  /** Repository ci with a workflow_dispatch workflow: each write is a manual run. */
  private void pipelineRepo(NodeProcess via) throws Exception {
    ok(send(HttpRequest.newBuilder(URI.create(via.baseUrl() + "/api/v1/tenants/load0/repos"))
        .header("Authorization", "Bearer " + token).POST(body("{\"name\":\"ci\"}"))));
    Path work = cluster.dir().resolve("ci-work");
    Files.createDirectories(work.resolve(".devflow/workflows"));
    Files.writeString(work.resolve(".devflow/workflows/manual.yml"),
        "on: workflow_dispatch\njobs:\n  noop:\n    runs-on: linux\n    steps:\n      - run: \"true\"\n");
    git(work, "init", "-q");
    git(work, "add", "-A");
    git(work, "-c", "user.name=load", "-c", "user.email=load@example.com", "commit", "-q", "-m", "ci");
    git(work, "push", "-q", "http://x:" + token + "@127.0.0.1:" + via.httpPort() + "/git/load0/ci.git",
        "HEAD:refs/heads/main");
    targets.add(new Target("pipelines of ci") {
      HttpRequest.Builder write(String b, long n) {
        return HttpRequest.newBuilder(URI.create(b + "/api/v1/tenants/load0/repos/ci/pipelines"))
            .header("Authorization", "Bearer " + token).POST(body("{\"ref\":\"main\"}"));
      }

      long read(Workload wl) {
        return acked; // checked run by run in lostWrites()
      }
    });
  }

  /** The api nodes writes go to (in turn); the test changes them as a load balancer would. */
  public void routeTo(List<NodeProcess> apiNodes) {
    nodes.clear();
    nodes.addAll(apiNodes);
  }

  /** Starts writing in the background, one entity after the other. */
  public void start() {
    writing.set(true);
    writer = new Thread(() -> {
      while (writing.get()) {
        Target t = targets.get(Math.floorMod(turn++, targets.size()));
        writeOnce(t, ATTEMPTS, REQUEST_TIMEOUT);
      }
    }, "workload-writer");
    writer.start();
  }

  public void stop() throws InterruptedException {
    writing.set(false);
    writer.join(30_000);
  }

  /**
   * Writes every entity once more, each until a node acknowledges it; how long after
   * {@code sinceNanos} the last of them answered. Every entity has its own prober, so the time
   * is that of the slowest entity, not of one client walking through them all in turn (that walk
   * added seconds: each entity whose shard had just moved cost its own allocation and recovery
   * round trip before the next was even asked).
   */
  public Duration awaitAllWritable(long sinceNanos, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    AtomicLong last = new AtomicLong(sinceNanos);
    List<String> unanswered = new CopyOnWriteArrayList<>();
    answeredAfter.clear();
    List<Thread> probers = new ArrayList<>();
    for (Target t : targets) {
      Thread prober = new Thread(() -> {
        // Single attempts without back-off, so the time measured is the entity's, not the client's.
        // A request to an entity whose shard is moving waits in its region and completes as soon
        // as the entity runs again; one the region sent to the dead node before the node was
        // removed is lost, so each attempt gives up after PROBE_TIMEOUT: precision about 1 s.
        while (!writeOnce(t, 1, PROBE_TIMEOUT)) {
          if (System.nanoTime() > deadline) {
            unanswered.add(t.name + " did not answer writes within " + timeout + "; last answer: " + t.lastFailure);
            return;
          }
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        long answered = System.nanoTime();
        last.accumulateAndGet(answered, Math::max);
        answeredAfter.put(t.name, (answered - sinceNanos) / 1_000_000);
      }, "probe " + t.name);
      prober.start();
      probers.add(prober);
    }
    for (Thread prober : probers) {
      prober.join();
    }
    if (!unanswered.isEmpty()) {
      throw new IllegalStateException(String.join("; ", unanswered));
    }
    return Duration.ofNanos(last.get() - sinceNanos);
  }

  /** The {@code n} entities that answered last in the last {@link #awaitAllWritable}, with their times. */
  public String slowest(int n) {
    return answeredAfter.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .map(e -> e.getKey() + " " + e.getValue() + " ms").collect(Collectors.joining(", "));
  }

  /** The entities that {@code node} cannot write right now, each with its answer (one attempt each). */
  public List<String> unwritableThrough(NodeProcess node) {
    List<String> out = new ArrayList<>();
    for (Target t : targets) {
      synchronized (t) {
        long n = t.next++;
        try {
          HttpResponse<String> r = send(t.write(node.baseUrl(), n));
          if (!acknowledged(t, n, r)) {
            out.add(t.name + ": " + r.statusCode() + " " + r.body());
          }
        } catch (IOException e) {
          out.add(t.name + ": " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return out;
        }
      }
    }
    return out;
  }

  /**
   * Waits until every entity takes a write through each of {@code apiNodes}, one attempt per
   * entity and node in each round. A load balancer may send any client to any node, so an entity
   * that answers through one node only is not healed (a reply that could not cross nodes once hid
   * this way behind the rotating client). Throws with what each node still refused.
   */
  public void awaitWritableThroughEach(List<NodeProcess> apiNodes, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> refused = new ArrayList<>();
      for (NodeProcess node : apiNodes) {
        unwritableThrough(node).forEach(r -> refused.add("through " + node.name() + ": " + r));
      }
      if (refused.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not every entity takes writes through every node after " + timeout + ": "
            + refused);
      }
      Thread.sleep(500);
    }
  }

  /** Records a 2xx answer to write {@code n} as acknowledged (the run's number for a pipeline). */
  private boolean acknowledged(Target t, long n, HttpResponse<String> r) throws IOException {
    if (r.statusCode() / 100 != 2) {
      return false;
    }
    t.acked = n;
    if (t.name.startsWith("pipelines")) {
      ackedRuns.add(JSON.readTree(r.body()).get("number").asLong());
    }
    acked.incrementAndGet();
    return true;
  }

  /** One write with up to {@code attempts} attempts on different nodes; true when acknowledged. */
  private boolean writeOnce(Target t, int attempts, Duration timeout) {
    synchronized (t) {
      long n = t.next++;
      for (int attempt = 0; attempt < attempts; attempt++) {
        try {
          Thread.sleep(BACKOFF_MS[attempt]);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
        List<NodeProcess> live = List.copyOf(nodes);
        NodeProcess node = live.get((int) Math.floorMod(route.getAndIncrement(), (long) live.size()));
        try {
          HttpResponse<String> r = send(t.write(node.baseUrl(), n).timeout(timeout));
          if (acknowledged(t, n, r)) {
            return true;
          }
          t.lastFailure = node.name() + ": " + r.statusCode() + " " + r.body();
        } catch (IOException e) {
          // refused, reset or timed out: the next attempt goes elsewhere
          t.lastFailure = node.name() + ": " + e;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
        if (attempt < attempts - 1) {
          retried.incrementAndGet();
        }
      }
      if (attempts == ATTEMPTS) {
        failed.incrementAndGet(); // a client's write lost to it, not a probe that found the entity away
      }
      return false;
    }
  }

  /** Writes acknowledged so far, writes that failed all 3 attempts, and attempts that were retried. */
  public long acked() {
    return acked.get();
  }

  public long failed() {
    return failed.get();
  }

  public long retried() {
    return retried.get();
  }

  /** Every acknowledged write that is not in the entity now (empty when nothing was lost). */
  public List<String> lostWrites() throws Exception {
    List<String> lost = new ArrayList<>();
    for (Target t : targets) {
      long now = t.read(this);
      if (now < t.acked) {
        lost.add(t.name + ": acknowledged v" + t.acked + ", holds v" + now);
      }
    }
    JsonNode runs = get("/api/v1/tenants/load0/repos/ci/pipelines?limit=100", token).get("items");
    List<Long> present = new ArrayList<>();
    runs.forEach(p -> present.add(p.get("number").asLong()));
    if (ackedRuns.size() > 100) {
      throw new IllegalStateException("more runs than one page lists: " + ackedRuns.size());
    }
    for (Long n : ackedRuns) {
      if (!present.contains(n)) {
        lost.add("pipeline " + n + " of ci: acknowledged, missing");
      }
    }
    return lost;
  }

  private JsonNode get(String path, String bearer) throws Exception {
    for (int attempt = 0; ; attempt++) {
      NodeProcess node = nodes.get(attempt % nodes.size());
      try {
        return JSON.readTree(ok(send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
            .header("Authorization", "Bearer " + bearer).timeout(READ_TIMEOUT).GET())));
      } catch (IOException | IllegalStateException e) {
        if (attempt >= 5) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  private static long counter(JsonNode v) {
    return v == null || !v.asText().startsWith("v") ? 0 : Long.parseLong(v.asText().substring(1));
  }

  private static HttpRequest.BodyPublisher body(String json) {
    return HttpRequest.BodyPublishers.ofString(json);
  }

  private static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    HttpRequest r = b.header("Content-Type", "application/json").build();
    if (r.timeout().isEmpty()) {
      r = HttpRequest.newBuilder(r, (n, v) -> true).timeout(REQUEST_TIMEOUT).build();
    }
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private static String ok(HttpResponse<String> r) {
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(r.request().method() + " " + r.request().uri() + ": " + r.statusCode() + " "
          + r.body());
    }
    return r.body();
  }

  private static void git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }
  }
}
