package dev.devflow.bench;

import dev.devflow.cluster.Node;
import dev.devflow.cluster.RunningNode;
import dev.devflow.persistence.EmbeddedDatabase;
import dev.devflow.persistence.secrets.MasterKey;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How soon a flag change made through one node is what another node evaluates: two nodes of one
 * cluster (in this JVM, one embedded PostgreSQL); each round flips a flag with {@code PUT} on node
 * A and then asks node B's evaluate API every half millisecond until it answers the new value. Reports
 * p50/p99/max from the PUT's reply and from its start. Argument: rounds (default 200).
 */
public final class FlagPropagationBench {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    Path dir = Files.createTempDirectory("devflow-flag-propagation");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
      int seed = freePort();
      RunningNode a = Node.start(options(dir.resolve("a"), db, seed, seed), null);
      RunningNode b = Node.start(options(dir.resolve("b"), db, freePort(), seed), null);
      try {
        a.httpPort().get(120, TimeUnit.SECONDS);
        b.httpPort().get(120, TimeUnit.SECONDS);
        String admin = a.createdAdminToken().or(b::createdAdminToken).orElseThrow();
        awaitReady(b.baseUrl());
        call(a.baseUrl(), "POST", "/api/v1/tenants", admin, "{\"name\":\"bench\",\"plan\":\"team\"}");
        String token = call(a.baseUrl(), "POST", "/api/v1/tenants/bench/tokens", admin, "{\"name\":\"b\",\"role\":\"write\"}")
            .replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
        List<Long> fromReply = new ArrayList<>();
        List<Long> fromStart = new ArrayList<>();
        for (int i = 0; i < rounds + 20; i++) {
          boolean on = i % 2 == 0;
          long start = System.nanoTime();
          call(a.baseUrl(), "PUT", "/api/v1/tenants/bench/flags/switch", token,
              "{\"enabled\":" + on + ",\"strategies\":[{\"name\":\"default\"}]}");
          long replied = System.nanoTime();
          String want = "\"enabled\":" + on;
          while (!call(b.baseUrl(), "POST", "/api/v1/tenants/bench/flags/evaluate", token,
              "{\"context\":{\"userId\":\"u\"},\"keys\":[\"switch\"]}").contains(want)) {
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(10)) {
              throw new IllegalStateException("node B never saw round " + i);
            }
            // Both nodes share this JVM's two cores: a busy loop would starve what it measures.
            java.util.concurrent.locks.LockSupport.parkNanos(500_000);
          }
          long seen = System.nanoTime();
          if (i >= 20) { // the first rounds warm the JIT up
            fromReply.add(seen - replied);
            fromStart.add(seen - start);
          }
        }
        System.out.println("| measured from | rounds | p50 ms | p99 ms | max ms |");
        System.out.println("| --- | --- | --- | --- | --- |");
        System.out.println(row("PUT reply on A -> B evaluates the new value", fromReply));
        System.out.println(row("PUT start on A -> B evaluates the new value", fromStart));
      } finally {
        b.close();
        a.close();
      }
    }
  }

  private static String row(String what, List<Long> nanos) {
    List<Long> s = new ArrayList<>(nanos);
    Collections.sort(s);
    return String.format("| %s | %d | %.1f | %.1f | %.1f |", what, s.size(), s.get(s.size() / 2) / 1e6,
        s.get((int) Math.ceil(s.size() * 0.99) - 1) / 1e6, s.get(s.size() - 1) / 1e6);
  }

  /** Both nodes share the database from their own homes, so they share the key (as a cluster does). */
  private static final String MASTER_KEY = MasterKey.generate().base64();

  private static Map<String, Object> options(Path home, EmbeddedDatabase db, int port, int seed) {
    Map<String, Object> o = new HashMap<>();
    o.put("devflow.secrets.master-key", MASTER_KEY);
    o.put("devflow.home", home.toString());
    o.put("devflow.http.port", 0);
    o.put("devflow.cluster.port", port);
    o.put("devflow.cluster.seeds", "127.0.0.1:" + seed);
    o.put("devflow.db.url", db.settings().url());
    o.put("devflow.db.user", db.settings().user());
    o.put("devflow.db.password", db.settings().password());
    o.put("pekko.loglevel", "WARNING");
    o.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    o.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    return o;
  }

  private static String call(String base, String method, String path, String token, String body) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private static void awaitReady(String base) throws Exception {
    for (int i = 0; i < 240; i++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("node B never became ready");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
