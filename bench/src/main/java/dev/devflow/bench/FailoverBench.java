package dev.devflow.bench;

import dev.devflow.bench.harness.ClusterHarness;
import dev.devflow.bench.harness.FailoverTimeline;
import dev.devflow.bench.harness.NodeProcess;
import dev.devflow.bench.harness.Workload;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failover and scaling with real node processes ({@link ClusterHarness}). (1) kill -9 of one of 3
 * api+core nodes, in turn, while entities of every type live on all of them: the time until every
 * entity answers a write again, p50 and max over the trials (default 5). (2) Tenant-entity write
 * throughput with 3 nodes and then with 1 (the others leave by SIGTERM): 16 client threads, each
 * write a PATCH of a tenant's display name through the nodes in turn. Arguments: trials, seconds
 * per throughput run (default 15), seconds of warm-up before each kill (default 20: the workload's
 * client writes every entity in turn through all nodes, so that a trial measures the failover of a
 * cluster that has been serving, not the first use of every code path on JVMs started a minute
 * before, and the node restarted after the previous trial is not left cold). The nodes get
 * {@code DEVFLOW_SBR_STABLE_AFTER} and {@code DEVFLOW_DOWN_REMOVAL_MARGIN} from this process's
 * environment when set. The node logs stay in the printed directory.
 */
public final class FailoverBench {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace(System.out);
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Path dir = Files.createTempDirectory("devflow-failover");
    System.out.println("node logs: " + dir);
    try (ClusterHarness cluster = ClusterHarness.start(dir, 3)) {
      // Downing settings under test come from this process's environment.
      for (String name : List.of("DEVFLOW_SBR_STABLE_AFTER", "DEVFLOW_DOWN_REMOVAL_MARGIN")) {
        if (System.getenv(name) != null) {
          cluster.set(name, System.getenv(name));
          System.out.println(name + "=" + System.getenv(name));
        }
      }
      Duration ready = Duration.ofSeconds(120);
      List<NodeProcess> nodes = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        nodes.add(cluster.node("node" + i, "api,core").awaitReady(ready));
      }
      NodeProcess first = nodes.get(0);
      ClusterHarness.await("3 members up", Duration.ofSeconds(60), () -> cluster.membersUp(first) == 3);
      Workload load = Workload.create(cluster, first, 8);
      load.routeTo(nodes);
      List<Long> millis = new ArrayList<>();
      for (int t = 0; t < trials; t++) {
        NodeProcess victim = nodes.get(t % 3);
        List<NodeProcess> others = nodes.stream().filter(n -> n != victim).toList();
        ClusterHarness.await(victim.name() + " holds shards", Duration.ofSeconds(90),
            () -> cluster.shardsOn(others.get(0), victim) > 0);
        int shards = cluster.shardsOn(others.get(0), victim);
        load.start();
        Thread.sleep(warmup * 1000L);
        load.stop();
        load.routeTo(others);
        long killed = System.nanoTime();
        victim.kill();
        long ms;
        String timeline;
        try (FailoverTimeline watch = FailoverTimeline.watch(others, killed)) {
          ms = load.awaitAllWritable(killed, Duration.ofSeconds(180)).toMillis();
          timeline = watch.toString();
        }
        millis.add(ms);
        System.out.printf("trial %d: killed %s (%d shards) after %d s of warm-up writes: every entity answered writes "
            + "again after %d ms%n", t + 1, victim.name(), shards, warmup, ms);
        System.out.println("  last to answer: " + load.slowest(3));
        System.out.println("  seen by the survivors: " + timeline);
        for (NodeProcess survivor : others) {
          List<String> refused = load.unwritableThrough(survivor);
          if (!refused.isEmpty()) {
            System.out.println("  through " + survivor.name() + " still refused: " + refused);
            Path dump = dir.resolve(survivor.name() + "-trial" + (t + 1) + ".jstack");
            new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                String.valueOf(survivor.pid())).redirectOutput(dump.toFile()).start().waitFor();
            System.out.println("  its threads: " + dump);
          }
        }
        victim.start().awaitReady(ready);
        ClusterHarness.await("3 members up", Duration.ofSeconds(90), () -> cluster.membersUp(others.get(0)) == 3);
        load.routeTo(nodes);
      }
      Collections.sort(millis);
      System.out.printf("%n| failover (kill -9 of 1 of 3 nodes) | trials | p50 ms | max ms |%n|---|---|---|---|%n"
          + "| every entity answers writes again | %d | %d | %d |%n", millis.size(), millis.get(millis.size() / 2),
          millis.get(millis.size() - 1));

      double three = throughput(cluster, nodes, seconds);
      for (NodeProcess n : nodes.subList(1, 3)) {
        n.terminate(Duration.ofSeconds(60));
      }
      ClusterHarness.await("1 member", Duration.ofSeconds(60), () -> cluster.members(first) == 1);
      double one = throughput(cluster, List.of(first), seconds);
      System.out.printf("%n| tenant writes, 16 clients | nodes | writes/s |%n|---|---|---|%n| | 1 | %.0f |%n"
          + "| | 3 | %.0f |%n", one, three);
    }
  }

  /** Writes/s of 16 threads PATCHing 64 tenants' display names through the given nodes. */
  private static double throughput(ClusterHarness cluster, List<NodeProcess> nodes, int seconds) throws Exception {
    int tenants = 64;
    for (int i = 0; i < tenants; i++) {
      send(nodes.get(0), cluster.adminToken(), "POST", "/api/v1/tenants", "{\"name\":\"tp" + i + "\"}");
    }
    AtomicLong writes = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    for (int c = 0; c < 16; c++) {
      int client = c;
      pool.submit(() -> {
        long n = 0;
        while (System.nanoTime() < end) {
          NodeProcess node = nodes.get((int) (n % nodes.size()));
          String tenant = "tp" + ((client * 7 + n) % tenants);
          if (send(node, cluster.adminToken(), "PATCH", "/api/v1/tenants/" + tenant,
              "{\"displayName\":\"n" + n + "\"}") == 200) {
            writes.incrementAndGet();
          }
          n++;
        }
        return null;
      });
    }
    pool.shutdown();
    pool.awaitTermination(seconds + 60L, java.util.concurrent.TimeUnit.SECONDS);
    return writes.get() / (double) seconds;
  }

  private static int send(NodeProcess node, String token, String method, String path, String body) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
          .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return 0;
    }
  }
}
