package dev.devflow.bench;

import static dev.devflow.bench.AgentsBench.PUSHERS;
import static dev.devflow.bench.AgentsBench.PUSHES_PER_TENANT;
import static dev.devflow.bench.AgentsBench.TENANTS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.agents.review.ReviewPrompt;
import dev.devflow.cluster.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Part 2 of {@code bench/run agents}: on a running node, tenants with one repository and {@code
 * agents} reviewer agents each, every push's commits made beforehand, then the pushes over HTTP
 * ({@link AgentsBench#PUSHERS} at a time, each tenant's in order) and the wait for every agent's
 * review of every push. Not thread-safe: one run at a time.
 */
final class AgentsEndToEnd {

  /**
   * @param pushMs       each {@code git push} during the run, sorted
   * @param idlePushMs   15 pushes one at a time to a repository without agents, node idle, sorted
   * @param pushToReview push acknowledged to review stored, seconds, sorted
   */
  record Result(int pushes, double pushSeconds, List<Double> pushMs, List<Double> idlePushMs, int reviews,
      long tasksFailed, double wallSeconds, List<Double> pushToReview) {}

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunningNode node;
  private final int agents;
  private final Path work;
  private final String base;
  private final Map<String, String> tokens = new HashMap<>();
  /** Per tenant, the commits of its pushes, made in {@link #setUp}, oldest first. */
  private final Map<Integer, List<String>> commits = new HashMap<>();
  private final List<Double> idlePushMs = new ArrayList<>();

  AgentsEndToEnd(RunningNode node, int agents, Path work) {
    this.node = node;
    this.agents = agents;
    this.work = work;
    this.base = node.baseUrl();
  }

  static String tenant(int i) {
    return String.format("t%02d", i);
  }

  static String repo(int i) {
    return String.format("app%02d", i);
  }

  /**
   * Tenants, repositories and agents, then a first push per repository whose reviews are
   * awaited: a warm-up, and no review of a push made before the agents existed arrives late.
   */
  void setUp() throws Exception {
    String admin = node.createdAdminToken().orElseThrow();
    for (int i = 0; i < TENANTS; i++) {
      String t = tenant(i);
      call("POST", "/api/v1/tenants", admin, "{\"name\":\"" + t + "\",\"plan\":\"enterprise\"}");
      tokens.put(t, JSON.readTree(call("POST", "/api/v1/tenants/" + t + "/tokens", admin,
          "{\"name\":\"bench\",\"role\":\"admin\"}")).get("token").asText());
      call("POST", "/api/v1/tenants/" + t + "/repos", tokens.get(t), "{\"name\":\"" + repo(i) + "\"}");
      for (int a = 1; a <= agents; a++) {
        // Own instructions per agent: identical prompts would be answered from the cache.
        String instructions = "You are reviewer " + a + " of " + agents + ". " + ReviewPrompt.DEFAULT_INSTRUCTIONS;
        call("PUT", "/api/v1/tenants/" + t + "/agents/rev" + a, tokens.get(t), JSON.createObjectNode()
            .put("kind", "reviewer").put("repo", repo(i)).put("instructions", instructions).toString());
      }
      Path dir = work.resolve(t);
      Files.createDirectories(dir);
      git(dir, "init", "-q");
      Files.writeString(dir.resolve("app.py"), "import os\nx = 0\nprint('hi')\n");
      git(dir, "add", "-A");
      // The tenant in every message: identical commits of two tenants would have one id.
      git(dir, "commit", "-q", "-m", t + " first");
      git(dir, "push", "-q", url(i), "HEAD:refs/heads/main");
      List<String> shas = new ArrayList<>();
      for (int k = 1; k <= PUSHES_PER_TENANT; k++) {
        Files.writeString(dir.resolve("app.py"), "import os\nx = " + k + "\nprint('hi')\n");
        git(dir, "commit", "-q", "-am", t + ": x = " + k);
        shas.add(git(dir, "rev-parse", "HEAD").strip());
      }
      commits.put(i, shas);
    }
    for (int i = 0; i < TENANTS; i++) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (reviews(i).size() < agents) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("warm-up: the first push of " + repo(i) + " was not reviewed in 120 s");
        }
        Thread.sleep(200);
      }
    }
    idlePushes();
  }

  /** Pushes one at a time to a repository no agent watches, on the idle node: a push's own time. */
  private void idlePushes() throws Exception {
    String t = tenant(0);
    call("POST", "/api/v1/tenants/" + t + "/repos", tokens.get(t), "{\"name\":\"quiet\"}");
    Path dir = work.resolve("quiet");
    Files.createDirectories(dir);
    git(dir, "init", "-q");
    String url = "http://x:" + tokens.get(t) + "@127.0.0.1:" + node.httpPort().join() + "/git/" + t + "/quiet.git";
    for (int k = 0; k < 20; k++) {
      Files.writeString(dir.resolve("app.py"), "import os\nx = " + k + "\nprint('hi')\n");
      git(dir, "add", "-A");
      git(dir, "commit", "-q", "-m", "quiet " + k);
      long start = System.nanoTime();
      git(dir, "push", "-q", url, "HEAD:refs/heads/main");
      if (k >= 5) {
        idlePushMs.add((System.nanoTime() - start) / 1e6);
      }
    }
  }

  Result run() throws Exception {
    // repo/commit → when its push was acknowledged
    Map<String, Instant> pushed = new ConcurrentHashMap<>();
    List<Instant> starts = Collections.synchronizedList(new ArrayList<>());
    List<Double> pushMs = Collections.synchronizedList(new ArrayList<>());
    Semaphore slots = new Semaphore(PUSHERS, true);
    List<Thread> pushers = new ArrayList<>();
    List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime();
    for (int i = 0; i < TENANTS; i++) {
      int tenant = i;
      Thread th = new Thread(() -> {
        Path dir = work.resolve(tenant(tenant));
        try {
          for (String sha : commits.get(tenant)) {
            slots.acquire();
            try {
              starts.add(Instant.now());
              long began = System.nanoTime();
              git(dir, "push", "-q", url(tenant), sha + ":refs/heads/main");
              pushMs.add((System.nanoTime() - began) / 1e6);
              pushed.put(repo(tenant) + "/" + sha, Instant.now());
            } finally {
              slots.release();
            }
          }
        } catch (Exception e) {
          failures.add(e);
        }
      }, "pusher-" + tenant(i));
      th.start();
      pushers.add(th);
    }
    for (Thread th : pushers) {
      th.join();
    }
    double pushSeconds = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }

    int expected = pushed.size() * agents;
    List<JsonNode> seen = new ArrayList<>();
    int last = -1;
    long lastProgress = System.nanoTime();
    while (true) {
      seen.clear();
      for (int i = 0; i < TENANTS; i++) {
        for (JsonNode r : reviews(i)) {
          if (pushed.containsKey(key(r))) {
            seen.add(r);
          }
        }
      }
      if (seen.size() >= expected) {
        break;
      }
      if (seen.size() != last) {
        last = seen.size();
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(60)) {
        System.err.printf("no new review for 60 s: %d of %d posted%n", seen.size(), expected);
        break;
      }
      Thread.sleep(1000);
    }

    long failed = 0;
    for (int i = 0; i < TENANTS; i++) {
      for (int a = 1; a <= agents; a++) {
        failed += JSON.readTree(call("GET", "/api/v1/tenants/" + tenant(i) + "/agents/rev" + a, tokens.get(tenant(i)),
            null)).path("tasksFailed").asLong();
      }
    }
    List<Double> latency = new ArrayList<>();
    Instant first = Collections.min(starts);
    Instant lastReview = first;
    for (JsonNode r : seen) {
      Instant at = Instant.parse(r.get("createdAt").asText());
      lastReview = at.isAfter(lastReview) ? at : lastReview;
      latency.add(Duration.between(pushed.get(key(r)), at).toNanos() / 1e9);
    }
    Collections.sort(latency);
    List<Double> sortedPushMs = new ArrayList<>(pushMs);
    Collections.sort(sortedPushMs);
    List<Double> idle = new ArrayList<>(idlePushMs);
    Collections.sort(idle);
    return new Result(pushed.size(), pushSeconds, sortedPushMs, idle, seen.size(), failed,
        Duration.between(first, lastReview).toNanos() / 1e9, latency);
  }

  private static String key(JsonNode review) {
    return review.get("repo").asText() + "/" + review.get("after").asText();
  }

  /** Every review of the tenant's repository, following the pages. */
  private List<JsonNode> reviews(int i) throws Exception {
    List<JsonNode> all = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = JSON.readTree(call("GET", "/api/v1/tenants/" + tenant(i) + "/repos/" + repo(i)
          + "/reviews?limit=100" + (cursor == null ? "" : "&cursor=" + cursor), tokens.get(tenant(i)), null));
      page.get("items").forEach(all::add);
      cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
    } while (cursor != null);
    return all;
  }

  private String url(int i) {
    return "http://x:" + tokens.get(tenant(i)) + "@127.0.0.1:" + node.httpPort().join() + "/git/" + tenant(i) + "/"
        + repo(i) + ".git";
  }

  private static String git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Bench", "-c", "user.email=b@example.com",
        "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("git " + String.join(" ", args) + ": " + out);
    }
    return out;
  }

  private String call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + token);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }
}
