package dev.devflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.devflow.cluster.Node;
import dev.devflow.cluster.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CI dispatch: one node (every role, embedded PostgreSQL, its in-process runner with 4 slots) in
 * this JVM. (1) Queue-to-start latency with an idle runner: manual runs one after the other, each
 * a single job whose first step prints the time it started; latency = that time minus the moment
 * the job was queued (the pipeline's {@code queuedAt}). (2) Throughput: 500 jobs {@code run:
 * "true"} (two pipelines of a 250-combination matrix) over the 4 slots, first POST to last job
 * finished. Arguments: latency rounds (default 200).
 */
public final class CiBench {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NANOS = Pattern.compile("STARTED (\\d{19})");

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    Path dir = Files.createTempDirectory("devflow-ci-bench");
    Map<String, Object> o = new HashMap<>();
    o.put("devflow.home", dir.resolve("home").toString());
    o.put("devflow.http.port", 0);
    o.put("devflow.cluster.port", 0);
    o.put("devflow.cluster.seeds", "");
    o.put("devflow.ci.runner.slots", 4);
    RunningNode node = Node.start(o, null);
    try {
      node.httpPort().get(120, TimeUnit.SECONDS);
      String base = node.baseUrl();
      String admin = node.createdAdminToken().orElseThrow();
      call(base, "POST", "/api/v1/tenants", admin, "{\"name\":\"bench\",\"plan\":\"enterprise\"}");
      String token = JSON.readTree(call(base, "POST", "/api/v1/tenants/bench/tokens", admin,
          "{\"name\":\"b\",\"role\":\"write\"}")).get("token").asText();
      call(base, "POST", "/api/v1/tenants/bench/repos", token, "{\"name\":\"ci\"}");
      Path work = dir.resolve("work");
      Files.createDirectories(work.resolve(".devflow/workflows"));
      Files.writeString(work.resolve(".devflow/workflows/latency.yml"), """
          on: workflow_dispatch
          jobs:
            one:
              runs-on: linux
              steps:
                - run: echo "STARTED $(date +%s%N)"
          """);
      StringBuilder matrix = new StringBuilder();
      for (int i = 1; i <= 250; i++) {
        matrix.append(i == 1 ? "" : ", ").append(i);
      }
      Files.writeString(work.resolve(".devflow/workflows/throughput.yml"), """
          on: workflow_dispatch
          jobs:
            t:
              runs-on: linux
              strategy:
                matrix:
                  i: [%s]
              steps:
                - run: "true"
          """.formatted(matrix));
      git(work, "init", "-q");
      git(work, "add", "-A");
      git(work, "commit", "-q", "-m", "workflows");
      git(work, "push", "-q", "http://x:" + token + "@127.0.0.1:" + node.httpPort().join() + "/git/bench/ci.git",
          "HEAD:refs/heads/main");

      List<Double> latencies = new ArrayList<>();
      for (int i = 0; i < rounds + 20; i++) {
        JsonNode run = JSON.readTree(call(base, "POST", "/api/v1/tenants/bench/repos/ci/pipelines", token,
            "{\"ref\":\"main\",\"workflow\":\"latency.yml\"}"));
        int n = run.get("number").asInt();
        JsonNode p = awaitFinished(base, token, n, 60);
        JsonNode job = p.get("jobs").get(0);
        Instant queued = Instant.parse(job.get("queuedAt").asText());
        String log = call(base, "GET", "/api/v1/tenants/bench/repos/ci/pipelines/" + n + "/jobs/one/log", token, null);
        Matcher m = NANOS.matcher(log);
        if (!m.find()) {
          throw new IllegalStateException("no start time in the log of run " + n + ":\n" + log);
        }
        long started = Long.parseLong(m.group(1));
        long queuedNanos = queued.getEpochSecond() * 1_000_000_000L + queued.getNano();
        if (i >= 20) {
          latencies.add((started - queuedNanos) / 1e6);
        }
      }
      Collections.sort(latencies);
      System.out.println("| measurement | n | p50 | p99 | max |");
      System.out.println("| --- | --- | --- | --- | --- |");
      System.out.printf("| queue-to-start, idle runner (ms) | %d | %.1f | %.1f | %.1f |%n", latencies.size(),
          pct(latencies, 0.50), pct(latencies, 0.99), latencies.get(latencies.size() - 1));

      long start = System.nanoTime();
      int a = JSON.readTree(call(base, "POST", "/api/v1/tenants/bench/repos/ci/pipelines", token,
          "{\"ref\":\"main\",\"workflow\":\"throughput.yml\"}")).get("number").asInt();
      int b = JSON.readTree(call(base, "POST", "/api/v1/tenants/bench/repos/ci/pipelines", token,
          "{\"ref\":\"main\",\"workflow\":\"throughput.yml\"}")).get("number").asInt();
      JsonNode pa = awaitFinished(base, token, a, 600);
      JsonNode pb = awaitFinished(base, token, b, 600);
      double seconds = (System.nanoTime() - start) / 1e9;
      for (JsonNode p : List.of(pa, pb)) {
        if (!p.get("status").asText().equals("succeeded")) {
          throw new IllegalStateException("throughput pipeline failed: " + p);
        }
      }
      System.out.printf("%n| trivial jobs | runner slots | seconds | jobs/s |%n| --- | --- | --- | --- |%n"
          + "| 500 | 4 | %.1f | %.1f |%n", seconds, 500 / seconds);
    } finally {
      node.close();
    }
  }

  private static double pct(List<Double> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }

  private static JsonNode awaitFinished(String base, String token, int n, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      JsonNode p = JSON.readTree(call(base, "GET", "/api/v1/tenants/bench/repos/ci/pipelines/" + n, token, null));
      if (p.hasNonNull("finishedAt")) {
        return p;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("pipeline " + n + " did not finish in " + seconds + " s");
  }

  private static void git(Path cwd, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Bench", "-c", "user.email=b@example.com",
        "-c", "init.defaultBranch=main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("git " + String.join(" ", args) + ": " + out);
    }
  }

  private static String call(String base, String method, String path, String token, String body) throws Exception {
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
