package dev.devflow.bench;

import dev.devflow.actors.tenant.Tenant;
import dev.devflow.cluster.Node;
import dev.devflow.cluster.RunningNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Load generator for the Tenant entity: persisted commands per second and latency percentiles,
 * through HTTP ({@code PATCH /api/v1/tenants/{t}}) and by direct sharded ask, at 1, 16 and 64
 * concurrent clients over 100 entities, on one node with the embedded PostgreSQL.
 *
 * <p>Every command changes the display name, so every one persists an event. Each client runs
 * closed-loop (next request when the last answered). Arguments: seconds per run (default 15),
 * warm-up seconds (default 5). Prints a Markdown table.
 */
public final class TenantBench {

  private static final int ENTITIES = 100;
  private static final int[] CLIENTS = {1, 16, 64};

  interface Call {
    void run(String tenant, long n) throws Exception;
  }

  record Result(String via, int clients, long ops, double seconds, long p50, long p99, long errors) {
    String row() {
      return String.format(
          "| %s | %d | %,.0f | %.2f | %.2f | %d |",
          via, clients, ops / seconds, p50 / 1e6, p99 / 1e6, errors);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path home = Files.createTempDirectory("devflow-bench");
    Map<String, Object> options = new HashMap<>();
    options.put("devflow.home", home.toString());
    options.put("devflow.http.port", 0);
    options.put("devflow.cluster.port", 0);
    options.put("pekko.loglevel", "WARNING");
    String syncCommit = System.getProperty("devflow.bench.synchronous-commit", "on");
    options.put("devflow.db.embedded-synchronous-commit", syncCommit);
    try (RunningNode node = Node.start(options, null)) {
      node.httpPort().get(120, TimeUnit.SECONDS);
      String admin = node.createdAdminToken().orElseThrow();
      ClusterSharding sharding = ClusterSharding.get(node.system());
      Duration timeout = Duration.ofSeconds(10);
      for (int i = 0; i < ENTITIES; i++) {
        sharding
            .entityRefFor(Tenant.ENTITY_KEY, "bench-" + i)
            .<Tenant.Summary>askWithStatus(r -> new Tenant.Create(null, null, r), timeout)
            .toCompletableFuture()
            .get();
      }
      Call ask =
          (tenant, n) ->
              sharding
                  .entityRefFor(Tenant.ENTITY_KEY, tenant)
                  .<Tenant.Summary>askWithStatus(r -> new Tenant.Update("n" + n, null, r), timeout)
                  .toCompletableFuture()
                  .get();
      HttpClient http =
          HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
      String base = node.baseUrl();
      Call patch =
          (tenant, n) -> {
            HttpRequest req =
                HttpRequest.newBuilder(URI.create(base + "/api/v1/tenants/" + tenant))
                    .timeout(timeout)
                    .header("Authorization", "Bearer " + admin)
                    .header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"displayName\":\"n" + n + "\"}"))
                    .build();
            HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 200) {
              throw new IllegalStateException("HTTP " + r.statusCode());
            }
          };

      System.out.printf("%n%d entities, %d s per run after %d s warm-up, %d cores, Java %s, synchronous_commit=%s%n%n",
          ENTITIES, seconds, warmup, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"), syncCommit);
      System.out.println("| via | clients | commands/s | p50 ms | p99 ms | errors |");
      System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
      for (var via : List.of(Map.entry("direct ask", ask), Map.entry("HTTP", patch))) {
        run(via.getValue(), 16, warmup, "warm-up");
        for (int clients : CLIENTS) {
          System.out.println(run(via.getValue(), clients, seconds, via.getKey()).row());
        }
      }
    }
  }

  private static Result run(Call call, int clients, int seconds, String via) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong errors = new AtomicLong();
    List<long[]> latencies = new ArrayList<>();
    int[] counts = new int[clients];
    CountDownLatch done = new CountDownLatch(clients);
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      final int client = c;
      long[] mine = new long[4_000_000 / clients];
      latencies.add(mine);
      Thread t = new Thread(() -> {
        long n = 0;
        try {
          while (System.nanoTime() < end) {
            String tenant = "bench-" + ((client + n * clients) % ENTITIES);
            long t0 = System.nanoTime();
            try {
              call.run(tenant, n);
              if (counts[client] < mine.length) {
                mine[counts[client]++] = System.nanoTime() - t0;
              }
            } catch (Exception e) {
              errors.incrementAndGet();
            }
            n++;
          }
        } finally {
          done.countDown();
        }
      });
      t.start();
    }
    done.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int i = 0;
    for (int c = 0; c < clients; c++) {
      System.arraycopy(latencies.get(c), 0, all, i, counts[c]);
      i += counts[c];
    }
    Arrays.sort(all);
    long p50 = total == 0 ? 0 : all[(int) (total * 0.50)];
    long p99 = total == 0 ? 0 : all[Math.min(total - 1, (int) (total * 0.99))];
    return new Result(via, clients, total, elapsed, p50, p99, errors.get());
  }
}
